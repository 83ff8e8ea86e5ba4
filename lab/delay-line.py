#!/usr/bin/env python3
# A userspace delay line for the kernel-NAT lab (this kernel has no netem): a TUN device that
# holds every IP packet it is routed for DELAY_MS and then writes it back, where the kernel routes
# it on (policy routing sends it here only on the way in). One FIFO, one constant delay, so
# packets keep their order. Lab tooling only (Python stdlib: fcntl + select); Porthole is TS.
#
#   delay-line.py IFNAME DELAY_MS
#
# Prints "ready" when the device exists; runs until killed. On SIGUSR1 prints one JSON line of
# counters (packets, bytes, drops because the queue was full).
import collections, fcntl, json, os, select, signal, struct, sys, time

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
MAX_QUEUE = 20000  # packets: ~250 ms at 100 Mbit/s of full-size packets

name, delay = sys.argv[1], float(sys.argv[2]) / 1000.0
fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
stats = {'packets': 0, 'bytes': 0, 'dropped': 0}
signal.signal(signal.SIGUSR1, lambda *_: print(json.dumps(stats), flush=True))
print('ready', flush=True)

q = collections.deque()
mono = time.monotonic
read, write = os.read, os.write
while True:
    now = mono()
    while q and q[0][0] <= now:
        try:
            write(fd, q.popleft()[1])
        except OSError:
            stats['dropped'] += 1
    timeout = None if not q else max(0.0, q[0][0] - now)
    try:
        ready = select.select([fd], [], [], timeout)[0]
    except InterruptedError:
        continue
    if ready:
        due = mono() + delay
        for _ in range(256):
            try:
                p = read(fd, 65536)
            except BlockingIOError:
                break
            if len(q) >= MAX_QUEUE:
                stats['dropped'] += 1
                continue
            stats['packets'] += 1
            stats['bytes'] += len(p)
            q.append((due, p))
