"""The sync client runtime: the Python counterpart of Swift's ``ClientNode``.

One I/O thread (the caller of :meth:`ClientNode.run`) owns both sockets: a DEALER to the server's
ROUTER (routing id = node id) and a SUB on its XPUB subscribed to its node id (messages whose topic is not exactly the id are dropped). User code runs on
one worker thread that never touches a socket; its FIT_RESULT messages come back through a queue and
the I/O thread sends them. The node joins with HELLO, follows WELCOME's codec and heartbeat, trains the
virtual clients each FIT names once that round's MODEL arrived (by broadcast, or by PULL after
``pull_after`` seconds), joins again when the server restarts (new session, ``unknown_peer`` or
``session_mismatch``, or silence), and leaves with BYE on :meth:`ClientNode.stop` (SIGINT/SIGTERM).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Union

import zmq

from .client import Config, NumPyClient, as_evaluate_res, as_fit_res, as_parameters, metrics_of
from .errors import ErrorCode, FedError
from .message import decode_message, encode_message
from .model import decode_model
from .tensor import TensorEncoding
from .topk import TopKResidual
from .settings import ClientSettings, Outcome, pull_delay
from .upload import encode_upload, layout_of
from .wire import Codec, Envelope, Message, MessageKind, WireError

#: Makes the client object of one virtual client id.
ClientFactory = Callable[[int], NumPyClient]

log = logging.getLogger("fedswift.client")


@dataclass
class _Pending:
    envelope: Envelope
    received: float
    pulled_at: Optional[float] = None


@dataclass
class _Done:
    uploaded: int


class ClientNode:
    """A client process of a sync federation hosting ``settings.clients``; see the module docstring."""

    def __init__(self, client_for: Union[ClientFactory, NumPyClient], settings: ClientSettings,
                 context: Optional[zmq.Context] = None) -> None:
        self.settings = settings
        self._factory: ClientFactory = (lambda cid: client_for) if isinstance(client_for, NumPyClient) else client_for
        self._context = context
        self._stop = threading.Event()
        self._cancel_work = threading.Event()
        self._results: "queue.Queue[Union[Message, _Done]]" = queue.Queue()
        self._clients: Dict[int, NumPyClient] = {}
        self._residuals: Dict[int, TopKResidual] = {}
        self.session: Optional[str] = None
        #: The experiment configuration of the last WELCOME.
        self.welcome_config: Config = {}
        self.encoding = TensorEncoding(Codec.SHUFFLE_LZ4)
        self.heartbeat = settings.heartbeat
        self.outcome = Outcome.SHUTDOWN
        self.fatal: Optional[FedError] = None
        #: Times this node sent HELLO and got WELCOME.
        self.joins = 0
        #: Virtual-client results uploaded so far.
        self.uploaded = 0
        self._pending_fit: Optional[_Pending] = None
        self._pending_eval: Optional[Envelope] = None
        self._eval_model: Optional[Message] = None
        self._model: Optional[Message] = None
        self._worker: Optional[threading.Thread] = None
        self._last_hello = -1e9
        self._last_heartbeat = 0.0
        self._last_heard = 0.0
        self._dealer: Optional[zmq.Socket] = None
        self._sub: Optional[zmq.Socket] = None

    def stop(self) -> None:
        """Asks :meth:`run` to leave: BYE to the server, sockets closed. Safe from signal handlers and threads."""
        self._stop.set()

    # -- the I/O loop -------------------------------------------------------------------------------

    def run(self) -> Outcome:
        """Connects, joins and serves tasks until the server's BYE or :meth:`stop`.

        Raises ``FedError`` when the server refuses this node for good (wrong version, codec, client ids).
        """
        own_context = self._context is None
        context = zmq.Context() if own_context else self._context
        assert context is not None
        try:
            self._dealer = self._socket(context, zmq.DEALER)
            self._dealer.setsockopt(zmq.IMMEDIATE, 1)
            self._dealer.connect(self.settings.control)
            self._sub = self._socket(context, zmq.SUB)
            self._sub.setsockopt(zmq.SUBSCRIBE, self.settings.node_id.encode())
            self._sub.connect(self.settings.broadcast)
            log.info("[client %s] connecting control=%s clients=%d", self.settings.node_id, self.settings.control,
                     len(self.settings.clients))
            poller = zmq.Poller()
            poller.register(self._dealer, zmq.POLLIN)
            poller.register(self._sub, zmq.POLLIN)
            while not self._stop.is_set():
                ready = dict(poller.poll(20))
                if self._dealer in ready:
                    self._drain(self._dealer, topic=False)
                if self._sub in ready:
                    self._drain(self._sub, topic=True)
                self._collect_results()
                self._tick()
            if self.outcome != Outcome.SERVER_FINISHED and self.session is not None:
                self._send(self._plain(MessageKind.BYE))
        finally:
            self._cancel_work.set()
            for s in (self._dealer, self._sub):
                if s is not None:
                    s.close(linger=500)
            self._dealer = self._sub = None
            if own_context:
                context.term()
            if self._worker is not None:
                self._worker.join(timeout=1.0)
        if self.fatal is not None:
            raise self.fatal
        return self.outcome

    def _socket(self, context: zmq.Context, kind: int) -> zmq.Socket:
        s = context.socket(kind)
        hb = int(self.heartbeat * 1000)
        s.setsockopt(zmq.LINGER, 500)
        s.setsockopt(zmq.SNDTIMEO, 5000)
        s.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        s.setsockopt(zmq.HEARTBEAT_IVL, hb)
        # libzmq resets its heartbeat timers only on a complete message, and the model's size is unknown
        # when connecting: ask no TTL of the server and wait long for a PONG (a model may be draining over a
        # slow link); the server's PINGs carry a TTL sized to its model, so a dead server is still noticed.
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, max(3 * hb, 600_000))
        s.setsockopt(zmq.MAXMSGSIZE, self.settings.limits.max_message_bytes)
        s.setsockopt(zmq.ROUTING_ID, self.settings.node_id.encode())
        return s

    def _drain(self, s: zmq.Socket, topic: bool) -> None:
        while True:
            try:
                parts = s.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            if topic:
                # SUB filters by prefix: node "c1" also receives "c10"'s messages; keep only ours.
                if len(parts) < 2 or bytes(parts[0].buffer) != self.settings.node_id.encode():
                    continue
                parts = parts[1:]
            try:
                message = decode_message([p.buffer for p in parts], self.settings.limits)
            except FedError as error:
                log.info("[client %s] undecodable message from the server: %s", self.settings.node_id, error)
                continue
            if topic:
                self._accept_model(message)
            else:
                self._on_control(message)

    def _send(self, message: Message, block: bool = False) -> bool:
        if self._dealer is None:
            return False
        try:
            self._dealer.send_multipart(encode_message(message), flags=0 if block else zmq.NOBLOCK, copy=False)
            return True
        except zmq.ZMQError as error:  # HELLO and HEARTBEAT fail routinely while the server is away
            quiet = message.envelope.kind in (MessageKind.HELLO, MessageKind.HEARTBEAT)
            log.log(logging.DEBUG if quiet else logging.INFO, "[client %s] %s not sent: %s", self.settings.node_id,
                    message.envelope.kind.snake_name, error)
            return False

    def _plain(self, kind: MessageKind, round: int = 0) -> Message:
        return Message(Envelope(kind, sender=self.settings.node_id, session=self.session or "", round=round))

    def _tick(self) -> None:
        now = time.monotonic()
        if self.session is None:
            if now - self._last_hello > self.settings.hello_interval:
                self._last_hello = now
                hello = Envelope(MessageKind.HELLO, sender=self.settings.node_id, client_ids=list(self.settings.clients),
                                 codecs=list(Codec), config={"trainer": self.settings.trainer, "sdk": "python"})
                self._send(Message(hello))
            return
        if now - self._last_heartbeat > self.heartbeat:
            self._last_heartbeat = now
            self._send(self._plain(MessageKind.HEARTBEAT))
        if now - self._last_heard > max(10 * self.heartbeat, 10.0):
            log.info("[client %s] server silent, joining again", self.settings.node_id)
            self.session = None
            return
        fit = self._pending_fit
        if fit is not None and not self._model_fits(fit.envelope) and now - (fit.pulled_at or fit.received) > self._pull_delay():
            fit.pulled_at = now
            log.info("[client %s] model of round %d not received by broadcast, pulling", self.settings.node_id, fit.envelope.round)
            self._send(self._plain(MessageKind.PULL, fit.envelope.round))
        self._start_work()

    # -- messages -----------------------------------------------------------------------------------

    def _on_control(self, message: Message) -> None:
        self._last_heard = time.monotonic()
        envelope = message.envelope
        kind = envelope.kind
        if kind == MessageKind.WELCOME:
            self._welcome(envelope)
        elif kind in (MessageKind.FIT, MessageKind.EVALUATE):
            if self.session is None or envelope.session != self.session:
                return
            if kind == MessageKind.FIT:
                self._pending_fit = _Pending(envelope, time.monotonic())
            else:
                self._pending_eval = envelope
                if message.frames:
                    self._eval_model = message
            self._start_work()
        elif kind == MessageKind.MODEL:
            self._accept_model(message)
        elif kind == MessageKind.BYE:
            log.info("[client %s] server finished the run", self.settings.node_id)
            self.outcome = Outcome.SERVER_FINISHED
            self._stop.set()
        elif kind == MessageKind.ERROR:
            self._on_error(envelope.error or WireError(ErrorCode.UNSPECIFIED, "no reason given"))
        elif kind != MessageKind.HEARTBEAT:
            log.info("[client %s] unexpected %s from the server", self.settings.node_id, kind.snake_name)

    def _on_error(self, error: WireError) -> None:
        log.info("[client %s] server sent ERROR %s: %s", self.settings.node_id, error.code.snake_name, error.detail)
        if error.code in (ErrorCode.UNKNOWN_PEER, ErrorCode.SESSION_MISMATCH):
            self.session = None
        elif error.code in (ErrorCode.UNSUPPORTED_VERSION, ErrorCode.UNKNOWN_CODEC, ErrorCode.INVALID_ARGUMENT) and self.session is None:
            self.fatal = FedError(error.code, f"the server refused this node: {error.detail}")
            self._stop.set()

    def _welcome(self, envelope: Envelope) -> None:
        config = dict(envelope.config)
        try:
            encoding = TensorEncoding.parse(str(config.get("codec", "shuffle-lz4")))
            heartbeat = float(config.get("heartbeat", self.heartbeat))
        except (FedError, ValueError) as error:
            self.fatal = FedError(ErrorCode.INVALID_ARGUMENT, f"cannot use the server's configuration: {error}")
            self._stop.set()
            return
        self.encoding, self.heartbeat, self.welcome_config = encoding, heartbeat, config
        self.session = envelope.session
        self.joins += 1
        self._last_heard = self._last_heartbeat = time.monotonic()
        log.info("[client %s] joined session=%s codec=%s dataset=%s", self.settings.node_id, envelope.session,
                 str(config.get("codec", "?")), str(config.get("dataset", "?")))

    def _pull_delay(self) -> float:
        try:
            model_bytes = int(self.welcome_config.get("model_bytes", 0)) if self.welcome_config else 0
        except (TypeError, ValueError):
            model_bytes = 0
        return pull_delay(self.settings.pull_after, model_bytes, self.settings.link_floor)

    def _accept_model(self, message: Message) -> None:
        if message.envelope.kind != MessageKind.MODEL:
            return
        if self.session is not None and message.envelope.session != self.session:
            log.info("[client %s] model from a new server session, joining again", self.settings.node_id)
            self.session = None
            return
        self._model = message
        self._start_work()

    def _model_fits(self, task: Envelope) -> bool:
        m = self._model
        return m is not None and m.envelope.round == task.round and m.envelope.session == self.session

    # -- work on the worker thread ------------------------------------------------------------------

    def _start_work(self) -> None:
        if self._worker is not None or self.session is None:
            return
        fit = self._pending_fit
        if fit is not None and self._model_fits(fit.envelope):
            self._pending_fit = None
            self._launch(self._fit_all, fit.envelope, self._model)
        elif self._pending_eval is not None:
            task, self._pending_eval = self._pending_eval, None
            model = self._eval_model
            if model is None or model.envelope.round != task.round:
                model = self._model if self._model is not None and self._model.envelope.round == task.round else None
            if model is None:
                log.info("[client %s] EVALUATE for round %d without its model, ignored", self.settings.node_id, task.round)
                return
            self._launch(self._evaluate_all, task, model)

    def _launch(self, target: Callable[[Envelope, Message, str, TensorEncoding, Config], None], task: Envelope,
                model: Optional[Message]) -> None:
        encoding = self.encoding
        text = task.config.get("codec")
        if isinstance(text, str):
            try:
                encoding = TensorEncoding.parse(text)
            except FedError:
                log.info("[client %s] task asks for unknown codec %r; using %s", self.settings.node_id, text, encoding.codec.wire_name)
        config: Config = {**self.welcome_config, **task.config, "round": task.round, "task_id": task.task_id}
        assert model is not None and self.session is not None
        self._worker = threading.Thread(target=target, args=(task, model, self.session, encoding, config),
                                        name="fedswift-trainer", daemon=True)
        self._worker.start()

    def _collect_results(self) -> None:
        while True:
            try:
                item = self._results.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Done):
                self._worker = None
                self.uploaded += item.uploaded
                self._start_work()
            else:
                self._send(item, block=True)

    def _hosted(self, task: Envelope) -> List[int]:
        hosted = set(self.settings.clients)
        skipped = [c for c in task.client_ids if c not in hosted]
        if skipped:
            log.info("[client %s] task names clients %s not hosted here, skipped", self.settings.node_id, skipped[:5])
        return [c for c in task.client_ids if c in hosted]

    def _client(self, cid: int) -> NumPyClient:
        if cid not in self._clients:
            self._clients[cid] = self._factory(cid)
        return self._clients[cid]

    def _fit_all(self, task: Envelope, model: Message, session: str, encoding: TensorEncoding, config: Config) -> None:
        done = 0
        try:
            layout = layout_of(model)
            received = decode_model(model, layout)
            for cid in self._hosted(task):
                if self._cancel_work.is_set():
                    break
                try:
                    result = as_fit_res(self._client(cid).fit({n: v.copy() for n, v in received.items()}, {**config, "cid": cid}))
                    trained = as_parameters(result.parameters, layout)
                    residual = self._residuals.setdefault(cid, TopKResidual())
                    upload = encode_upload(sender=self.settings.node_id, session=session, task=task, client_id=cid,
                                           received=received, trained=trained, num_examples=result.num_examples,
                                           metrics=metrics_of(result.metrics), encoding=encoding, residual=residual,
                                           delta=self.settings.upload_deltas)
                    self._results.put(upload)
                    done += 1
                except Exception as error:  # one failing virtual client never stops the node
                    log.warning("[client %s] client %d failed in round %d: %r", self.settings.node_id, cid, task.round, error)
        except FedError as error:
            log.info("[client %s] cannot decode the model of round %d: %s", self.settings.node_id, task.round, error)
        finally:
            self._results.put(_Done(done))

    def _evaluate_all(self, task: Envelope, model: Message, session: str, encoding: TensorEncoding, config: Config) -> None:
        try:
            received = decode_model(model, layout_of(model))
            for cid in self._hosted(task):
                try:
                    result = as_evaluate_res(self._client(cid).evaluate({n: v.copy() for n, v in received.items()}, {**config, "cid": cid}))
                    metrics = {"loss": float(result.loss), **metrics_of(result.metrics)}
                    self._results.put(Message(Envelope(MessageKind.EVALUATE_RESULT, sender=self.settings.node_id, session=session,
                                                       round=task.round, task_id=task.task_id, client_ids=[cid],
                                                       num_examples=result.num_examples, metrics=metrics)))
                except Exception as error:
                    log.warning("[client %s] client %d failed to evaluate: %r", self.settings.node_id, cid, error)
        except FedError as error:
            log.info("[client %s] cannot decode the model to evaluate: %s", self.settings.node_id, error)
        finally:
            self._results.put(_Done(0))

