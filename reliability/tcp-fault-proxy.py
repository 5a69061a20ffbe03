#!/usr/bin/env python3
"""A TCP proxy that injects network faults, for the fault scenarios (there is no toxiproxy here).

usage: tcp-fault-proxy.py LISTEN_PORT TARGET_HOST:TARGET_PORT CONTROL_PORT

Forwards every connection on 127.0.0.1:LISTEN_PORT to the target. One line to 127.0.0.1:CONTROL_PORT
changes what happens to the traffic, and is answered "ok <mode>":
  pass          forward as is (the start)
  delay MS      hold every chunk MS milliseconds before forwarding it, both ways
  freeze        stop forwarding, keep every connection open (a hung network or a stalled peer)
  drop          reset every open connection, and reset new ones at once (a dead link)
  stats         answer with the counts of connections accepted, reset and open
"""
import asyncio
import socket
import struct
import sys


class Proxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.mode = "pass"
        self.delay = 0.0
        self.thawed = asyncio.Event()
        self.thawed.set()
        self.open = set()
        self.accepted = 0
        self.reset = 0

    @staticmethod
    def abort(writer):
        # SO_LINGER 0: close with RST, as a dead link or a killed peer would, not a polite FIN
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        writer.transport.abort()

    async def pipe(self, reader, writer):
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                await self.thawed.wait()
                if self.delay:
                    await asyncio.sleep(self.delay)
                await self.thawed.wait()
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            if self.mode == "drop":
                writer.transport.abort()
            else:
                writer.close()

    async def handle(self, client_reader, client_writer):
        self.accepted += 1
        if self.mode == "drop":
            self.reset += 1
            self.abort(client_writer)
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self.abort(client_writer)
            return
        pair = (client_writer, server_writer)
        self.open.add(pair)
        try:
            await asyncio.gather(self.pipe(client_reader, server_writer), self.pipe(server_reader, client_writer))
        finally:
            self.open.discard(pair)

    def command(self, line):
        words = line.split()
        if not words:
            return "error empty command"
        verb = words[0]
        if verb == "stats":
            return f"ok accepted={self.accepted} reset={self.reset} open={len(self.open)}"
        if verb == "pass":
            self.mode, self.delay = "pass", 0.0
            self.thawed.set()
        elif verb == "delay" and len(words) == 2 and words[1].isdigit():
            self.mode, self.delay = "delay", int(words[1]) / 1000
            self.thawed.set()
        elif verb == "freeze":
            self.mode = "freeze"
            self.thawed.clear()
        elif verb == "drop":
            self.mode = "drop"
            for pair in list(self.open):
                for writer in pair:
                    self.reset += 1
                    self.abort(writer)
            self.open.clear()
            self.thawed.set()
        else:
            return f"error unknown command {line.strip()!r}"
        return f"ok {self.mode}"

    async def control(self, reader, writer):
        line = (await reader.readline()).decode(errors="replace")
        writer.write((self.command(line) + "\n").encode())
        await writer.drain()
        writer.close()


async def main():
    listen_port, target, control_port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    host, _, port = target.rpartition(":")
    proxy = Proxy(host, int(port))
    traffic = await asyncio.start_server(proxy.handle, "127.0.0.1", listen_port)
    control = await asyncio.start_server(proxy.control, "127.0.0.1", control_port)
    print(f"tcp-fault-proxy: 127.0.0.1:{listen_port} -> {target}, control on 127.0.0.1:{control_port}", flush=True)
    async with traffic, control:
        await asyncio.gather(traffic.serve_forever(), control.serve_forever())


if __name__ == "__main__":
    asyncio.run(main())
