// The document's live connection: y-websocket's sync and awareness messages over
// /ws/documents/<id>, plus the server's acknowledgements (3 <n>: the first n update
// messages this connection sent are committed). Reconnects with back-off; whatever was
// typed offline reaches the server with the next sync (the server's step 1 asks for it).
import * as Y from "yjs";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import * as syncProtocol from "y-protocols/sync";
import * as awarenessProtocol from "y-protocols/awareness";

const SYNC = 0;
const AWARENESS = 1;
const ACK = 3;

export class DocumentProvider {
  constructor({ url, doc, onStatus, onHello, onError, onRevision }) {
    this.url = url;
    this.doc = doc;
    this.awareness = new awarenessProtocol.Awareness(doc);
    this.onStatus = onStatus || (() => {});
    this.onHello = onHello || (() => {});
    this.onError = onError || (() => {});
    this.onRevision = onRevision || (() => {});
    this.socket = null;
    this.connected = false;
    this.synced = false;
    this.sent = 0; // update messages sent on this connection
    this.acked = 0; // of which committed
    this.retry = 500;
    this.stopped = false;
    this.offline = false; // set by tests and the page to simulate a lost network
    this.refused = false;

    this._onUpdate = (update, origin) => {
      if (origin === this) { return; }
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, SYNC);
      syncProtocol.writeUpdate(encoder, update);
      this._sendUpdate(encoding.toUint8Array(encoder));
    };
    this._onAwareness = ({ added, updated, removed }, origin) => {
      if (origin === "remote") { return; }
      const changed = added.concat(updated, removed);
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, AWARENESS);
      encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed));
      this._send(encoding.toUint8Array(encoder));
    };
    doc.on("update", this._onUpdate);
    this.awareness.on("update", this._onAwareness);
    window.addEventListener("beforeunload", () => {
      awarenessProtocol.removeAwarenessStates(this.awareness, [doc.clientID], "window unload");
    });
    this.connect();
    this._ping = setInterval(() => this._sendText({ kind: "ping" }), 45000);
  }

  get saved() {
    return this.connected && this.synced && this.acked >= this.sent;
  }

  _status() {
    let state = "connecting";
    if (this.refused) { state = "refused"; }
    else if (!this.connected) { state = this.offline ? "offline" : "connecting"; }
    else if (!this.synced) { state = "syncing"; }
    else if (this.acked < this.sent) { state = "saving"; }
    else { state = "saved"; }
    this.onStatus(state);
  }

  connect() {
    if (this.stopped || this.offline || this.refused) { return; }
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.sent = 0;
    this.acked = 0;
    socket.onopen = () => {
      this.connected = true;
      this.retry = 500;
      this._status();
    };
    socket.onmessage = (event) => {
      if (typeof event.data === "string") { this._text(event.data); return; }
      this._binary(new Uint8Array(event.data));
    };
    socket.onclose = (event) => {
      const wasConnected = this.connected;
      this.connected = false;
      this.synced = false;
      this.socket = null;
      awarenessProtocol.removeAwarenessStates(
        this.awareness,
        Array.from(this.awareness.getStates().keys()).filter((id) => id !== this.doc.clientID),
        "remote"
      );
      if (event.code === 4403 || event.code === 4413 || event.code === 4429 || (!wasConnected && event.code === 1006 && this._refusedOnce)) {
        this.refused = true;
      }
      if (!wasConnected && event.code === 1006) { this._refusedOnce = true; }
      this._status();
      if (!this.refused && !this.stopped && !this.offline) {
        setTimeout(() => this.connect(), this.retry);
        this.retry = Math.min(this.retry * 2, 10000);
      }
    };
  }

  _text(data) {
    let message;
    try { message = JSON.parse(data); } catch (e) { return; }
    if (message.kind === "hello") { this.onHello(message); }
    else if (message.kind === "error") { this.onError(message.error); }
    else if (message.kind === "revision") { this.onRevision(message); }
  }

  _binary(data) {
    const decoder = decoding.createDecoder(data);
    const kind = decoding.readVarUint(decoder);
    if (kind === SYNC) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, SYNC);
      const syncType = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
      if (encoding.length(encoder) > 1) {
        // Our step 2 (what the server lacks: offline edits) counts as an update message.
        this._sendUpdate(encoding.toUint8Array(encoder));
      }
      if (syncType === syncProtocol.messageYjsSyncStep1) {
        // The server asked for what we have; now ask for what it has.
        const ask = encoding.createEncoder();
        encoding.writeVarUint(ask, SYNC);
        syncProtocol.writeSyncStep1(ask, this.doc);
        this._send(encoding.toUint8Array(ask));
        // Tell the others who we are (the server puts our visible name on it).
        if (this.awareness.getLocalState() !== null) {
          const encoderA = encoding.createEncoder();
          encoding.writeVarUint(encoderA, AWARENESS);
          encoding.writeVarUint8Array(encoderA, awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID]));
          this._send(encoding.toUint8Array(encoderA));
        }
      } else if (syncType === syncProtocol.messageYjsSyncStep2) {
        this.synced = true;
      }
      this._status();
    } else if (kind === AWARENESS) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), "remote");
    } else if (kind === ACK) {
      this.acked = decoding.readVarUint(decoder);
      this._status();
    }
  }

  _send(bytes) {
    if (this.socket && this.connected && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(bytes);
      return true;
    }
    return false;
  }

  _sendUpdate(bytes) {
    if (this._send(bytes)) {
      this.sent += 1;
      this._status();
    }
  }

  _sendText(message) {
    if (this.socket && this.connected && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  setOffline(offline) {
    this.offline = offline;
    if (offline && this.socket) { this.socket.close(); }
    if (!offline) { this.connect(); }
    this._status();
  }

  destroy() {
    this.stopped = true;
    clearInterval(this._ping);
    this.doc.off("update", this._onUpdate);
    this.awareness.off("update", this._onAwareness);
    if (this.socket) { this.socket.close(); }
  }
}

export { Y };
