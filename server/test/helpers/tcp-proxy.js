'use strict';
// A TCP proxy between the server and its database, so a test can take the database
// away without stopping a PostgreSQL other tests share: `cut()` destroys every open
// connection (both sides: PostgreSQL rolls back what was in flight, the server sees its
// sockets reset) and refuses new ones (the listening socket is closed: connection
// refused, as a stopped PostgreSQL answers); `stall()` is a silent network partition
// instead: nothing is forwarded any more, open connections stay open, new ones are
// accepted and never answered; `reopen()` ends either (stalled connections are
// destroyed: their streams lost bytes) and forwards again, on the same port.
//
//   const proxy = await startTcpProxy({ port: 5432 });
//   const url = `postgres://postgres@127.0.0.1:${proxy.port}/test`;
//   proxy.cut(); ...; await proxy.reopen(); ...; await proxy.close();

const net = require('node:net');

/**
 * @typedef {object} TcpProxy
 * @property {number} port where it listens (on 127.0.0.1)
 * @property {() => number} connections client connections open now
 * @property {() => number} accepted client connections accepted so far
 * @property {() => boolean} isOpen
 * @property {() => Promise<void>} cut refuse new connections, destroy the open ones
 * @property {() => void} stall forward nothing, answer nothing, close nothing
 * @property {() => Promise<void>} reopen accept and forward again, on the same port
 * @property {() => Promise<void>} close
 */

/**
 * @param {{ port: number, host?: string, listenPort?: number }} target the database's
 *   address; listenPort 0 (default) picks a free port
 * @returns {Promise<TcpProxy>}
 */
async function startTcpProxy({ port: targetPort, host: targetHost = '127.0.0.1', listenPort = 0 }) {
  /** @type {Set<net.Socket>} both ends of every pair */
  const sockets = new Set();
  let clients = 0;
  let accepted = 0;
  /** @type {net.Server | null} */
  let server = null;
  let port = listenPort;
  let stalled = false;
  /** @type {Set<net.Socket>} accepted while stalled: held, never answered */
  const held = new Set();

  /** @param {net.Socket} client */
  const onConnection = (client) => {
    accepted += 1;
    if (stalled) {
      held.add(client);
      client.pause();
      client.on('error', () => {}).on('close', () => held.delete(client));
      return;
    }
    clients += 1;
    const upstream = net.connect({ port: targetPort, host: targetHost });
    sockets.add(client);
    sockets.add(upstream);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clients -= 1;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    // Errors on either side end the pair; they are the point of this proxy, not failures.
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const listen = () =>
    new Promise((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.removeListener('error', reject);
        server = s;
        port = /** @type {net.AddressInfo} */ (s.address()).port;
        resolve(undefined);
      });
    });

  const stopListening = () =>
    new Promise((resolve) => {
      const s = server;
      server = null;
      if (!s) resolve(undefined);
      // close() stops accepting at once; its callback waits for the connections,
      // which are destroyed just after.
      else s.close(() => resolve(undefined));
    });

  const destroyAll = () => {
    for (const s of [...sockets, ...held]) s.destroy();
  };

  await listen();
  return {
    get port() {
      return port;
    },
    connections: () => clients,
    accepted: () => accepted,
    isOpen: () => server !== null,
    async cut() {
      const closing = stopListening();
      destroyAll();
      await closing;
    },
    stall() {
      stalled = true;
      // Unread bytes stay in the kernel's buffers: neither side hears from the other.
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
    async reopen() {
      if (stalled) {
        stalled = false;
        destroyAll();
      }
      if (server) return;
      // The port was ours a moment ago; retry briefly should another socket hold it.
      for (let attempt = 0; ; attempt += 1) {
        try {
          await listen();
          return;
        } catch (err) {
          if (/** @type {any} */ (err).code !== 'EADDRINUSE' || attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
    async close() {
      const closing = stopListening();
      destroyAll();
      await closing;
    },
  };
}

module.exports = { startTcpProxy };
