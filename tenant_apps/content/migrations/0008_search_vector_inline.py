# Search reads an item's search_vector for every candidate it ranks (ts_rank) and for every
# phrase it checks: stored out of line (TOAST, the default once a row with a 2 KB body
# passes 2 KB), each read is a TOAST index lookup and a chunk fetch - about four page
# reads per row, 10-15 ms for the 500 candidates of a search at 200,000 items. STORAGE
# MAIN keeps the vector compressed in the row (the body moves out of line first), read
# with the row. Metadata only here: rows take it when next written (search_rebuild
# rewrites them all; so does VACUUM FULL).

from django.db import migrations

FORWARD = "ALTER TABLE content_contentitem ALTER COLUMN search_vector SET STORAGE MAIN"
REVERSE = "ALTER TABLE content_contentitem ALTER COLUMN search_vector SET STORAGE EXTENDED"


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0007_share_shared_by"),
    ]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
