"""The dashboard's aiohttp application: login, the page, its panels, and the control API."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from importlib import resources
from typing import Any

from aiohttp import web

from src.ops.audit import AuditKind
from src.ops.control import ControlResult, OperatorControls
from src.ops.dashboard.auth import Auth, Session, TooManyAttemptsError, clean_name
from src.ops.dashboard.render import login_page, page, panels
from src.ops.dashboard.settings import DashboardSettings
from src.ops.dashboard.snapshot import FillReader, View, snapshot

SESSION_COOKIE = "ktrade_session"
_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
}
_STATIC = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
#: Same-origin only: the page's script and style come from this server, nothing else runs.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
Dispatch = Callable[[OperatorControls, str, Mapping[str, Any]], Awaitable[ControlResult]]


def _symbol(body: Mapping[str, Any]) -> str:
    symbol = body.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise _refused(400, "close_position", "close_position needs a symbol")
    return symbol


def _note(body: Mapping[str, Any]) -> str | None:
    note = body.get("note")
    if not isinstance(note, str):
        return None
    return clean_name(note, "") or None


#: Control API action -> the ``OperatorControls`` call it makes.
CONTROLS: dict[str, Dispatch] = {
    "pause": lambda c, who, b: c.pause(who, _note(b)),
    "resume": lambda c, who, b: c.resume(who),
    "cancel_all": lambda c, who, b: c.cancel_all(who),
    "close_position": lambda c, who, b: c.close_position(who, _symbol(b)),
    "close_all": lambda c, who, b: c.close_all(who),
    "trip_kill": lambda c, who, b: c.trip_kill(who, _note(b)),
    "reset_kill": lambda c, who, b: c.reset_kill(who),
    "reload_risk": lambda c, who, b: c.reload_risk(who),
}


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, default=str))


def _refused(status: int, action: str, message: str) -> web.HTTPException:
    """A control request refused before it ran, as JSON the page's script can show."""
    kind = _ERRORS[status]
    text = json.dumps({"action": action, "ok": False, "message": message})
    return kind(text=text, content_type="application/json")


@web.middleware
async def _headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects and errors get the same headers
        response = exc
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    if isinstance(response, web.HTTPException):
        raise response
    return response


class DashboardApp:
    """Builds the ``web.Application`` of one bot's dashboard.

    Args:
        view: the runtime and what the dashboard keeps about it.
        fills: the reader of recent fills.
        controls: the operator actions.
        auth: secrets and sessions.
        settings: refresh period, session length, the risk file's name.
    """

    def __init__(
        self,
        view: View,
        fills: FillReader,
        controls: OperatorControls,
        auth: Auth,
        settings: DashboardSettings,
    ) -> None:
        self.view, self.fills, self.controls = view, fills, controls
        self.auth, self.settings = auth, settings

    def build(self) -> web.Application:
        """Return the application with every route."""
        app = web.Application(middlewares=[_headers], client_max_size=64 * 1024)
        app.add_routes(
            [
                web.get("/", self.index),
                web.get("/login", self.login_form),
                web.post("/login", self.login),
                web.post("/logout", self.logout),
                web.get("/api/state", self.state),
                web.get("/api/panels", self.panels),
                web.get("/api/audit", self.audit),
                web.post("/api/control/{action}", self.control),
                web.get("/static/{name}", self.static),
            ]
        )
        return app

    def _session(self, request: web.Request) -> Session | None:
        return self.auth.session(request.cookies.get(SESSION_COOKIE))

    def _actor(self, request: web.Request) -> str:
        """Who is calling: the session's operator, or a bearer caller; 401 otherwise."""
        session = self._session(request)
        if session is not None:
            return session.actor
        if self.auth.check_bearer(request.headers.get("Authorization")):
            name = clean_name(request.headers.get("X-Operator"), "api")
            return f"{name} (api, {request.remote})"
        raise web.HTTPUnauthorized(text="log in, or send Authorization: Bearer <token>")

    async def index(self, request: web.Request) -> web.StreamResponse:
        """Return the dashboard page, or send the browser to the login form."""
        session = self._session(request)
        if session is None:
            raise web.HTTPSeeOther("/login")
        html = page(
            snapshot(self.view, self.fills),
            csrf=session.csrf,
            actor=session.actor,
            refresh_ms=int(self.settings.refresh_seconds * 1000),
            reload_file=str(self.controls.risk_config or "") or None,
        )
        return web.Response(text=html, content_type="text/html")

    async def login_form(self, request: web.Request) -> web.StreamResponse:
        """Return the login form."""
        return web.Response(text=login_page(), content_type="text/html")

    async def login(self, request: web.Request) -> web.StreamResponse:
        """Check the secret; on success set the session cookie and go to the page."""
        form = await request.post()
        secret, name = form.get("secret"), form.get("name")
        remote = request.remote or "unknown"
        try:
            opened = self.auth.login(
                secret if isinstance(secret, str) else None,
                name if isinstance(name, str) else None,
                remote,
            )
        except TooManyAttemptsError as exc:
            return web.Response(text=login_page(str(exc)), status=429, content_type="text/html")
        if opened is None:
            html = login_page("wrong token or password")
            return web.Response(text=html, status=401, content_type="text/html")
        sid, session = opened
        self.view.audit.record(AuditKind.OPERATOR, session.actor, "login")
        response = web.HTTPSeeOther("/")
        response.set_cookie(
            SESSION_COOKIE,
            sid,
            httponly=True,
            samesite="Strict",
            path="/",
            max_age=int(self.settings.session_hours * 3600),
        )
        raise response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        """End the session (the form carries its CSRF token)."""
        session = self._session(request)
        form = await request.post()
        given = form.get("csrf")
        if session is not None and self.auth.check_csrf(
            session, given if isinstance(given, str) else None
        ):
            self.auth.logout(request.cookies.get(SESSION_COOKIE))
            self.view.audit.record(AuditKind.OPERATOR, session.actor, "logout")
        response = web.HTTPSeeOther("/login")
        response.del_cookie(SESSION_COOKIE, path="/")
        raise response

    async def state(self, request: web.Request) -> web.StreamResponse:
        """Return the whole state as JSON."""
        self._actor(request)
        return _json(snapshot(self.view, self.fills))

    async def panels(self, request: web.Request) -> web.StreamResponse:
        """Return each panel's fresh HTML (the page's script swaps them in)."""
        self._actor(request)
        return _json(panels(snapshot(self.view, self.fills)))

    async def audit(self, request: web.Request) -> web.StreamResponse:
        """Return audit rows (``?kind=operator|config|decision&after=<id>&limit=<n>``)."""
        self._actor(request)
        try:
            kind = AuditKind(request.query["kind"]) if "kind" in request.query else None
            after = int(request.query.get("after", "0"))
            limit = max(1, min(int(request.query.get("limit", "100")), 1000))
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        rows = self.view.audit.entries(kind=kind, after_id=after, limit=limit)
        return _json([asdict(r) for r in rows])

    async def control(self, request: web.Request) -> web.StreamResponse:
        """Run one control; the body must say ``{"confirm": true}`` (the confirm step)."""
        action = request.match_info["action"]
        try:
            actor = self._actor(request)
        except web.HTTPUnauthorized:
            raise _refused(401, action, "log in, or send Authorization: Bearer <token>") from None
        session = self._session(request)
        if session is not None and not self.auth.check_csrf(
            session, request.headers.get("X-CSRF-Token")
        ):
            raise _refused(403, action, "missing or wrong X-CSRF-Token")
        dispatch = CONTROLS.get(action)
        if dispatch is None:
            raise _refused(404, action, f"no control {action!r}; one of {sorted(CONTROLS)}")
        try:
            body = await request.json()
        except ValueError:
            raise _refused(400, action, "the body must be JSON") from None
        if not isinstance(body, dict) or body.get("confirm") is not True:
            raise _refused(400, action, 'not confirmed: send {"confirm": true}')
        result = await dispatch(self.controls, actor, body)
        return _json(asdict(result), status=200 if result.ok else 409)

    async def static(self, request: web.Request) -> web.StreamResponse:
        """Return the page's own script or style sheet."""
        name = request.match_info["name"]
        kind = _STATIC.get(name)
        if kind is None:
            raise web.HTTPNotFound()
        text = (resources.files("src.ops.dashboard") / "static" / name).read_text("utf-8")
        response = web.Response(text=text, content_type=kind)
        response.headers["Cache-Control"] = "max-age=300"
        return response
