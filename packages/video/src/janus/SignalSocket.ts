/** What the signalling client needs from a WebSocket; tests substitute a scripted server. */
export interface SignalSocket {
  send(text: string): void;
  /** Closes the socket; `handlers.close` follows once it has closed. */
  close(code?: number, reason?: string): void;
}

export interface SignalSocketHandlers {
  open(): void;
  message(text: string): void;
  /** The socket closed (or never opened), with the close frame's code. */
  close(code: number, reason: string): void;
}

/** Opens a socket to `url` with the WebSocket subprotocol `protocol`. */
export type SignalSocketFactory = (
  url: string,
  protocol: string,
  handlers: SignalSocketHandlers,
) => SignalSocket;

/** The browser's WebSocket as a {@link SignalSocketFactory}. */
export const openWebSocket: SignalSocketFactory = (url, protocol, handlers) => {
  const ws = new WebSocket(url, protocol);
  let closed = false;
  const closeOnce = (code: number, reason: string): void => {
    if (!closed) {
      closed = true;
      handlers.close(code, reason);
    }
  };
  ws.onopen = () => handlers.open();
  ws.onmessage = (event: MessageEvent) => {
    if (typeof event.data === 'string') {
      handlers.message(event.data);
    }
  };
  // An error is always followed by a close event; a failed connection closes with 1006.
  ws.onclose = (event: CloseEvent) => closeOnce(event.code, event.reason);
  return {
    send: (text) => {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(text);
      }
    },
    close: (code, reason) => {
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
        ws.close(code, reason);
      }
    },
  };
};
