from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    """Standard claims from the provider's user record (filtered by the scopes asked for)."""

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            # Accounts whose last name is "unverified" have an address the provider never checked.
            "email_verified": user.last_name != "unverified",
            "preferred_username": user.username,
            "name": user.first_name or user.username,
        }
