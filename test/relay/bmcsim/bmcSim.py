#!/usr/bin/python3
"""A simulated BMC for Fencer's tests, driven by real ipmitool over IPMI 2.0 lanplus.

Built on Debian's python3-pyghmi server side (pyghmi.ipmi.bmc.Bmc). Modes:
  normal       power off / on take effect at once
  delayed-off  power off takes effect after --off-delay-ms
  hung         power off is acknowledged but the chassis never turns off
  busy         the next --busy-count chassis commands answer 0xC0 (node busy), then normal
  dead         no packet is answered at all (a BMC that is unplugged or wedged)

Every chassis command is appended as one JSON line to --log (and kept for GET /events), and so
are session starts and ends (session_open / session_close, with the client's UDP port).
A small HTTP control API on --control-port (127.0.0.1) lets tests read and change the state:
  GET /state, POST /state {"mode","power","offDelayMs","busyCount","answerDelayMs"}, GET /events.
The password comes from the BMC_PASSWORD environment variable (the optional Kg key from BMC_KG),
never from argv, so tests can scan every process's argv for it.
"""

import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyghmi.ipmi.bmc as bmc
import pyghmi.ipmi.private.serversession as serversession

MODES = ('normal', 'delayed-off', 'hung', 'busy', 'dead')
BUSY = 0xC0


class SimState:
    """Everything the BMC knows, guarded by one lock (pyghmi's IO thread and the HTTP thread)."""

    def __init__(self, args, log_path):
        self.lock = threading.Lock()
        self.mode = args.mode
        self.power = args.power
        self.off_delay_ms = args.off_delay_ms
        self.busy_count = args.busy_count
        self.answer_delay_ms = 0
        self.off_at = None
        self.events = []
        self.log_path = log_path

    def settle(self):
        """Apply a delayed power-off whose time has come."""
        if self.off_at is not None and time.monotonic() >= self.off_at:
            self.power = 'off'
            self.off_at = None

    def snapshot(self):
        self.settle()
        return {
            'mode': self.mode,
            'power': self.power,
            'offDelayMs': self.off_delay_ms,
            'busyCount': self.busy_count,
            'answerDelayMs': self.answer_delay_ms,
            'offPending': self.off_at is not None,
            'events': len(self.events),
        }

    def record(self, command, result, client=None):
        event = {
            'ts': time.time(),
            'command': command,
            'result': result,
            'mode': self.mode,
            'power': self.power,
        }
        if client is not None:
            event['client'] = client
        self.events.append(event)
        if self.log_path:
            with open(self.log_path, 'a', encoding='utf-8') as log:
                log.write(json.dumps(event) + '\n')

    def take_busy(self):
        """True when this command must be answered 0xC0 (busy mode, budget not yet used up)."""
        if self.mode != 'busy' or self.busy_count <= 0:
            return False
        self.busy_count -= 1
        return True

    def update(self, patch):
        if 'mode' in patch:
            if patch['mode'] not in MODES:
                raise ValueError('mode must be one of ' + ', '.join(MODES))
            self.mode = patch['mode']
        if 'power' in patch:
            if patch['power'] not in ('on', 'off'):
                raise ValueError('power must be on or off')
            self.power = patch['power']
            self.off_at = None
        for key, attr in (('offDelayMs', 'off_delay_ms'), ('busyCount', 'busy_count'),
                          ('answerDelayMs', 'answer_delay_ms')):
            if key in patch:
                setattr(self, attr, int(patch[key]))
        if patch.get('clearEvents'):
            self.events = []


class SimBmc(bmc.Bmc):
    def __init__(self, state, authdata, port, address):
        super().__init__(authdata, port=port, address=address)
        # With port 0 the kernel picks one; pyghmi routes session packets by self.port.
        self.port = self.serversocket.getsockname()[1]
        self.state = state

    # dead: drop session setup (sessionless_data) and every command of open sessions.
    def sessionless_data(self, data, sockaddr):
        with self.state.lock:
            dead = self.state.mode == 'dead'
            if not dead and is_open_session_request(data):
                # One client (ipmitool process) per UDP source port; a retransmit repeats it.
                self.state.record('session_open', 'ok', client=sockaddr[1])
        if not dead:
            super().sessionless_data(data, sockaddr)

    def handle_raw_request(self, request, session):
        with self.state.lock:
            dead = self.state.mode == 'dead'
            delay = self.state.answer_delay_ms
        if dead:
            return
        if delay > 0:
            # Blocks pyghmi's loop on purpose: a slow BMC makes ipmitool retransmit after 1 s.
            time.sleep(delay / 1000.0)
        super().handle_raw_request(request, session)

    def get_chassis_status(self, session):
        with self.state.lock:
            if self.state.take_busy():
                self.state.record('status', 'busy')
                return session.send_ipmi_response(code=BUSY)
            self.state.settle()
            power = self.state.power
            self.state.record('status', power)
        session.send_ipmi_response(data=[1 if power == 'on' else 0, 0, 0])

    def control_chassis(self, request, session):
        directive = request['data'][0]
        names = {0: 'power_off', 1: 'power_on', 2: 'power_cycle', 3: 'power_reset',
                 5: 'power_shutdown'}
        name = names.get(directive)
        if name is None:
            return session.send_ipmi_response(code=0xCC)
        with self.state.lock:
            if self.state.take_busy():
                self.state.record(name, 'busy')
                return session.send_ipmi_response(code=BUSY)
            result = self.apply(name)
            self.state.record(name, result)
        session.send_ipmi_response(code=0)

    def apply(self, name):
        s = self.state
        s.settle()
        if name in ('power_off', 'power_shutdown'):
            if s.mode == 'hung':
                return 'acked-ignored'
            if s.power == 'off':
                return 'already-off'
            if s.mode == 'delayed-off' and s.off_delay_ms > 0:
                if s.off_at is None:
                    s.off_at = time.monotonic() + s.off_delay_ms / 1000.0
                return 'off-pending'
            s.power = 'off'
            return 'ok'
        if name == 'power_on':
            s.power = 'on'
            s.off_at = None
            return 'ok'
        # cycle / reset: the chassis stays (or comes back) on.
        s.power = 'on'
        s.off_at = None
        return 'ok'


def is_open_session_request(data):
    """An RMCP+ Open Session Request (IPMI 2.0 payload type 0x10): a client starts a session."""
    data = bytearray(data)
    return (len(data) >= 22 and data[0] == 6 and data[2:4] == b'\xff\x07'
            and data[4] == 6 and data[5] & 0x3f == 0x10)


def record_close(session):
    """Close Session (NetFn App, 0x3C): the client ended its session (ipmitool does on exit)."""
    state = session.bmc.state
    with state.lock:
        state.record('session_close', 'ok', client=session.sockaddr[1])


# Sessions appear in the event log as session_open / session_close with the client's port,
# so tests can see whether two clients ever held a session with this BMC at the same time.
serversession.ServerSession.close_server_session = record_close


def control_handler(state):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode('utf-8')
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            with state.lock:
                if self.path == '/state':
                    return self.reply(200, state.snapshot())
                if self.path == '/events':
                    return self.reply(200, {'events': list(state.events)})
            self.reply(404, {'error': 'not found'})

        def do_POST(self):
            if self.path != '/state':
                return self.reply(404, {'error': 'not found'})
            length = int(self.headers.get('Content-Length') or 0)
            try:
                patch = json.loads(self.rfile.read(length) or b'{}')
                with state.lock:
                    state.update(patch)
                    snap = state.snapshot()
            except (ValueError, TypeError) as err:
                return self.reply(400, {'error': str(err)})
            self.reply(200, snap)

    return Handler


def main():
    parser = argparse.ArgumentParser(description='Simulated IPMI BMC for tests')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--control-port', type=int, default=0)
    parser.add_argument('--address', default='127.0.0.1')
    parser.add_argument('--user', default='admin')
    parser.add_argument('--mode', choices=MODES, default='normal')
    parser.add_argument('--power', choices=('on', 'off'), default='on')
    parser.add_argument('--off-delay-ms', type=int, default=0)
    parser.add_argument('--busy-count', type=int, default=0)
    parser.add_argument('--log', default='')
    args = parser.parse_args()
    password = os.environ.get('BMC_PASSWORD')
    if not password:
        sys.exit('BMC_PASSWORD must be set')

    state = SimState(args, args.log)
    sim = SimBmc(state, {args.user: password}, args.port, args.address)
    if os.environ.get('BMC_KG'):
        # A BMC key (Kg): clients must send the same with -k / -K, or the session fails.
        sim.set_kg(os.environ['BMC_KG'])
    control = ThreadingHTTPServer((args.address, args.control_port), control_handler(state))
    threading.Thread(target=control.serve_forever, daemon=True).start()
    ready = {
        'ready': True,
        'port': sim.port,
        'controlPort': control.server_address[1],
        'pid': os.getpid(),
    }
    print(json.dumps(ready), flush=True)
    sim.listen(timeout=1)


if __name__ == '__main__':
    main()
