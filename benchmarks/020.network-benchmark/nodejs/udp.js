"use strict";
// A connected UDP socket with "wait for the datagram that matches, or time out".

const dgram = require("node:dgram");

/** Host and port of "ip:port" (IPv6 addresses may be bracketed). */
function parseServer(text) {
  const s = String(text);
  const at = s.lastIndexOf(":");
  const host = s.slice(0, at).replace(/^\[|\]$/g, "");
  const port = s.slice(at + 1);
  if (at < 0 || !host || !/^\d+$/.test(port)) {
    throw new RangeError(`server: expected "ip:port", got ${JSON.stringify(text)}`);
  }
  return { host, port: Number(port) };
}

/** A UDP socket talking to `server`: send(buffer), receive(timeoutMs, accept), close(). */
function openUdp(server) {
  const socket = dgram.createSocket(server.host.includes(":") ? "udp6" : "udp4");
  const queue = [];
  let waiter = null;
  socket.on("message", (data) => {
    if (waiter) waiter(data);
    else queue.push(data);
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve({
        send(buffer) {
          socket.send(buffer, server.port, server.host);
        },
        /** The first datagram `accept` takes (others are dropped), or null after timeoutMs. */
        receive(timeoutMs, accept) {
          while (queue.length) {
            const data = queue.shift();
            if (accept(data)) return Promise.resolve(data);
          }
          return new Promise((done) => {
            const timer = setTimeout(() => {
              waiter = null;
              done(null);
            }, timeoutMs);
            waiter = (data) => {
              if (accept(data)) {
                clearTimeout(timer);
                waiter = null;
                done(data);
              }
            };
          });
        },
        close() {
          socket.close();
        },
      });
    });
  });
}

module.exports = { parseServer, openUdp };
