// A deliberately raw HTTP/1.1 client: every byte of the request line, the headers and the body is
// ours, so duplicate headers, control characters, junk percent-encodings and wrong lengths reach
// the gateway exactly as written (node's fetch and http modules refuse or normalise them).
import net from 'node:net';

const CRLF = '\r\n';

/** latin1 keeps bytes as they are: a header value given as a Buffer is written verbatim. */
function headerBytes(name, value) {
  const v = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
  return Buffer.concat([Buffer.from(`${name}: `, 'latin1'), v, Buffer.from(CRLF, 'latin1')]);
}

/**
 * Sends one request on a fresh connection (Connection: close) and resolves with
 * {status, headers: [[lowercase name, value]], body: Buffer, ms} or {error, ms}; never rejects.
 * request: {host, port, method, target (raw bytes of the request target), headers: [[name, value]],
 * body: Buffer|null, chunked: boolean (64 KiB chunks), lastChunkDelayMs (the terminating chunk that much
 * later), contentLength: 'auto'|'omit'|number, timeoutMs, localAddress (the source address)}.
 */
export function send(request) {
  const started = Date.now();
  const { host, port, method, target, headers = [], body = null, chunked = false,
    contentLength = 'auto', timeoutMs = 20000, lastChunkDelayMs = 0, localAddress } = request;
  const parts = [Buffer.from(`${method} `, 'latin1'),
    Buffer.isBuffer(target) ? target : Buffer.from(target, 'utf8'),
    Buffer.from(` HTTP/1.1${CRLF}`, 'latin1'), headerBytes('Host', `${host}:${port}`)];
  for (const [name, value] of headers) parts.push(headerBytes(name, value));
  if (chunked) {
    parts.push(headerBytes('Transfer-Encoding', 'chunked'));
  } else if (contentLength === 'auto') {
    if (body !== null || method === 'POST' || method === 'PUT' || method === 'PATCH') {
      parts.push(headerBytes('Content-Length', body === null ? 0 : body.length));
    }
  } else if (typeof contentLength === 'number') {
    parts.push(headerBytes('Content-Length', contentLength));
  }
  parts.push(headerBytes('Connection', 'close'), Buffer.from(CRLF, 'latin1'));
  if (body !== null) {
    if (chunked) {
      const size = 64 * 1024;
      for (let i = 0; i < body.length; i += size) {
        const chunk = body.subarray(i, i + size);
        parts.push(Buffer.from(chunk.length.toString(16) + CRLF, 'latin1'), chunk, Buffer.from(CRLF, 'latin1'));
      }
      if (!lastChunkDelayMs) parts.push(Buffer.from(`0${CRLF}${CRLF}`, 'latin1'));
    } else {
      parts.push(body);
    }
  }
  const payload = Buffer.concat(parts);

  return new Promise((resolve) => {
    const chunks = [];
    let settled = false;
    const socket = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    const finish = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      const parsed = raw.length ? parseResponse(raw) : null;
      if (parsed && !parsed.error) {
        resolve({ ...parsed, ms: Date.now() - started });
      } else {
        resolve({ error: error || (parsed && parsed.error) || 'connection closed without a response',
          ms: Date.now() - started });
      }
    };
    const timer = setTimeout(() => finish(`no complete response within ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => socket.write(payload, () => {
      // the terminating chunk a moment later, as a slow client sends it
      if (chunked && lastChunkDelayMs) setTimeout(() => { if (!settled) socket.write(`0${CRLF}${CRLF}`, () => {}); }, lastChunkDelayMs);
    }));
    socket.on('data', (data) => {
      chunks.push(data);
      const parsed = parseResponse(Buffer.concat(chunks));
      if (parsed && parsed.complete) finish();
    });
    // A server that answers early (413 before the body is read) may reset the connection while we
    // still write: what it already answered counts.
    socket.on('error', (e) => finish(e.code || String(e)));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
  });
}

/** Parses what arrived so far; complete is set once the whole body is there. */
export function parseResponse(raw) {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = raw.subarray(0, end).toString('latin1').split(CRLF);
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
  if (!m) return { error: `not an HTTP response: ${JSON.stringify(head[0].slice(0, 80))}` };
  const headers = head.slice(1).map((line) => {
    const i = line.indexOf(':');
    return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()];
  });
  const status = Number(m[1]);
  const get = (name) => headers.find(([n]) => n === name)?.[1];
  const rest = raw.subarray(end + 4);
  // an interim answer (100 Continue to an Expect header) is followed by the real one
  if (status >= 100 && status < 200 && status !== 101) return parseResponse(rest);
  if (/chunked/i.test(get('transfer-encoding') || '')) {
    const body = [];
    let offset = 0;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', offset);
      if (lineEnd < 0) return { status, headers, body: Buffer.concat(body), complete: false };
      const size = parseInt(rest.subarray(offset, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) return { error: 'bad chunk size' };
      if (size === 0) return { status, headers, body: Buffer.concat(body), complete: true };
      if (rest.length < lineEnd + 2 + size + 2) return { status, headers, body: Buffer.concat(body), complete: false };
      body.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
    }
  }
  const length = get('content-length');
  if (length !== undefined) {
    const n = Number(length);
    return { status, headers, body: rest.subarray(0, n), complete: rest.length >= n };
  }
  if (status === 204 || status === 304 || status === 101) {
    return { status, headers, body: Buffer.alloc(0), complete: true };
  }
  return { status, headers, body: rest, complete: false }; // until the connection closes
}

export function header(response, name) {
  return response.headers?.find(([n]) => n === name.toLowerCase())?.[1];
}
