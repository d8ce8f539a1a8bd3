// The document editor: TipTap (ProseMirror) bound to a Yjs document that the server
// keeps in the institution's schema, with presence carets by visible name.
// Loaded by authoring/editor.html; all configuration comes from data attributes.
import { Editor } from "@tiptap/core";
import StarterKit from "@tiptap/starter-kit";
import Collaboration from "@tiptap/extension-collaboration";
import CollaborationCaret from "@tiptap/extension-collaboration-caret";
import { Table, TableRow, TableCell, TableHeader } from "@tiptap/extension-table";
import Image from "@tiptap/extension-image";
import { DocumentProvider, Y } from "./authoring/provider.js";

const FRAGMENT = "prosemirror";
// English defaults; the page gives each text in the reader's language as a data-text-*
// attribute of #document-editor (authoring/editor.html).
const TEXTS = {
  connecting: "Connecting…",
  syncing: "Loading…",
  saving: "Saving…",
  saved: "All changes saved",
  offline: "Offline: your changes are kept here and sent when you reconnect",
  refused: "You can no longer edit this document.",
  upToDate: "Up to date (read-only)",
  canEdit: "You can edit.",
  watching: "Read-only: you are watching.",
  onlyYou: "only you",
  linkAddress: "Link address (https://…)",
};

function text(root, key) {
  const attribute = "text" + key.charAt(0).toUpperCase() + key.slice(1);
  return root.dataset[attribute] || TEXTS[key];
}

function liveUrl(root) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const port = root.getAttribute("data-live-port");
  const host = port ? `${window.location.hostname}:${port}` : window.location.host;
  return `${scheme}//${host}/ws/documents/${root.getAttribute("data-document")}`;
}

function start() {
  const root = document.getElementById("document-editor");
  if (!root) { return; }
  const status = document.getElementById("editor-status");
  const presence = document.getElementById("presence");
  const rightsNote = document.getElementById("editor-rights");
  const toolbar = document.getElementById("editor-toolbar");
  let canEdit = root.getAttribute("data-rights") === "edit";

  const ydoc = new Y.Doc();
  let editor = null;
  const provider = new DocumentProvider({
    url: liveUrl(root),
    doc: ydoc,
    onStatus(state) {
      status.setAttribute("data-state", state);
      status.textContent = (state === "saved" && !canEdit) ? text(root, "upToDate") : (TEXTS[state] ? text(root, state) : state);
      root.setAttribute("data-saved", provider && provider.saved ? "true" : "false");
    },
    onHello(message) {
      canEdit = message.rights === "edit";
      if (editor) { editor.setEditable(canEdit); }
      rightsNote.textContent = canEdit ? text(root, "canEdit") : text(root, "watching");
      if (toolbar) { toolbar.hidden = !canEdit; }
    },
    onError(error) {
      if (error === "read-only") {
        canEdit = false;
        if (editor) { editor.setEditable(false); }
      }
      root.setAttribute("data-error", error);
    },
  });

  function showPresence() {
    const names = [];
    provider.awareness.getStates().forEach((state, clientId) => {
      if (clientId === ydoc.clientID || !state || !state.user) { return; }
      names.push(state.user.name);
    });
    presence.textContent = names.length ? names.join(", ") : text(root, "onlyYou");
  }
  provider.awareness.on("change", showPresence);
  showPresence();

  editor = new Editor({
    element: document.getElementById("editor"),
    editable: canEdit,
    extensions: [
      StarterKit.configure({ undoRedo: false, link: { openOnClick: false, autolink: true } }),
      Table.configure({ resizable: false }),
      TableRow,
      TableHeader,
      TableCell,
      Image.configure({ inline: false }),
      Collaboration.configure({ document: ydoc, field: FRAGMENT }),
      CollaborationCaret.configure({ provider, user: { name: "", color: "#888" } }),
    ],
  });

  const commands = {
    bold: (c) => c.toggleBold(),
    italic: (c) => c.toggleItalic(),
    strike: (c) => c.toggleStrike(),
    code: (c) => c.toggleCode(),
    h1: (c) => c.toggleHeading({ level: 1 }),
    h2: (c) => c.toggleHeading({ level: 2 }),
    h3: (c) => c.toggleHeading({ level: 3 }),
    paragraph: (c) => c.setParagraph(),
    bulletList: (c) => c.toggleBulletList(),
    orderedList: (c) => c.toggleOrderedList(),
    blockquote: (c) => c.toggleBlockquote(),
    codeBlock: (c) => c.toggleCodeBlock(),
    hr: (c) => c.setHorizontalRule(),
    table: (c) => c.insertTable({ rows: 3, cols: 3, withHeaderRow: true }),
    addRow: (c) => c.addRowAfter(),
    addColumn: (c) => c.addColumnAfter(),
    undo: (c) => c.undo(),
    redo: (c) => c.redo(),
    link: (c) => {
      const href = window.prompt(text(root, "linkAddress"));
      if (href === null) { return c; }
      if (!href) { return c.unsetLink(); }
      return c.setLink({ href });
    },
    image: (c) => {
      const picker = document.getElementById("image-picker");
      const id = picker && picker.value;
      if (!id) { return c; }
      const title = picker.options[picker.selectedIndex].text;
      return c.setImage({ src: `/content/${id}/download`, alt: title });
    },
  };
  if (toolbar) {
    toolbar.hidden = !canEdit;
    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-cmd]");
      if (!button || !canEdit) { return; }
      const command = commands[button.getAttribute("data-cmd")];
      if (command) { command(editor.chain().focus()).run(); }
    });
  }
  // For tests and the curious: the live objects of this page.
  window.oaeDocument = { editor, provider, ydoc };
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
