"""The 社区工作台: server-rendered pages (aiohttp + Jinja2) on the bot's own database, with
the bot's own handlers behind every action. Another adapter, not a second application."""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from multidict import MultiDictProxy

from bot.app import App
from bot.config import WebConfig
from bot.web import charts
from bot.web import texts as web_texts
from bot.web.actions import perform
from bot.web.auth import (
    Session,
    Sessions,
    check_code,
    check_link,
    is_staff,
    send_code,
    signing_secret,
)
from handlers import announcements, meals, rsvp, stats, texts, votes
from handlers.context import Context, UserError
from handlers.reports import OVERSEERS
from handlers.tickets import may_act
from handlers.web_login import LINK_PATH, URL_KEY, WEB_ROLES
from storage import UNAVAILABLE, NotFound
from storage.events import GOING, WAITLIST
from storage.notices import ACTIVE as NOTICE_ACTIVE
from storage.people import Person
from storage.reports import ACKNOWLEDGED, OPEN, RESOLVED, Report
from storage.workbench import PAGE_SIZE, SORTS, ReportFilter

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
REPORT_ROLES = frozenset({"grid_worker", *OVERSEERS})
STATS_ROLES = stats.STAFF
KITCHEN_ROLES = meals.KITCHEN | {"branch"}
ADMIN_ROLES = frozenset({"admin"})
NOTICE_ROLES = announcements.ADMINS
EVENT_ROLES = rsvp.ORGANISERS
ROSTER_ROLES = frozenset({"admin", "community", "branch"})  # every roster (rsvp._organised)
EVENT_STATUS = {"open": "报名中", "closed": "报名已截止", "cancelled": "已取消"}
VOTE_ROLES = frozenset(OVERSEERS)
STATUS_NAMES = {OPEN: "待接单", ACKNOWLEDGED: "处理中", RESOLVED: "已办结", "active": "未办结"}
ACTIONS = {"ack": "接单", "resolve": "办结", "reassign": "转派", "note": "备注"}
PEOPLE_VERBS = {  # (the form, its button) → the chat's admin command
    ("role", "add"): "设置角色",
    ("role", "remove"): "取消角色",
    ("grid", "add"): "加入网格",
    ("grid", "remove"): "移出网格",
    ("leave", "add"): "请假",
    ("leave", "end"): "销假",
}
TREND_MONTHS = 6  # the 统计 page's trend: the month asked for and the five before it
MEAL_NAMES = {"lunch": "午餐", "dinner": "晚餐"}
NAV = (  # (path, label, roles that see it)
    ("/", "今日", WEB_ROLES),
    ("/reports", "隐患", REPORT_ROLES),
    ("/map", "小区图", REPORT_ROLES),
    ("/stats", "统计", STATS_ROLES),
    ("/canteen", "食堂", KITCHEN_ROLES),
    ("/events", "活动", EVENT_ROLES),
    ("/notices", "通知", NOTICE_ROLES),
    ("/votes", "表决", VOTE_ROLES),
    ("/people", "人员", ADMIN_ROLES),
)
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Fetch = Callable[[str], Awaitable[bytes]]  # a platform file id → its bytes
MAX_PHOTO = 20 * 1024 * 1024  # the Bot API's own download limit
# what the middleware learns of a request, for its handler
SESSION = web.RequestKey("session", Session)
CHANGED = web.RequestKey("changed", bool)  # the session is to be sent back as a cookie
PERSON: web.RequestKey[Person | None] = web.RequestKey("person")  # None: no one logged in
FORM = web.RequestKey("form", MultiDictProxy)


def redirect(location: str) -> web.Response:
    """See other: after a form, the browser asks for the page anew (no resubmission)."""
    return web.Response(status=303, headers={"Location": location})


def _int(value: str | None, *, low: int, high: int) -> int | None:
    if value is None or not value.isdigit() or len(value) > 9:
        return None
    n = int(value)
    return n if low <= n <= high else None


class WebServer:
    """Serves the workbench on `cfg.listen`:`cfg.port` (0: any free port) while entered."""

    def __init__(self, app: App, cfg: WebConfig) -> None:
        self.app = app
        self.cfg = cfg
        self.port = cfg.port
        self._runner: web.AppRunner | None = None
        self._sessions: Sessions | None = None
        self._secret = ""
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
        )
        self._env.filters["t"] = self._short_time
        self._env.filters["full"] = self._full_time
        self._env.globals["status_names"] = STATUS_NAMES
        self._env.globals["event_names"] = texts.EVENT_NAMES
        self._env.globals["role_names"] = texts.ROLE_NAMES
        self._env.globals["meal_names"] = MEAL_NAMES
        self._env.globals["rating_names"] = texts.RATING_NAMES

    @property
    def url(self) -> str:
        """Where it listens."""
        return f"http://{self.cfg.listen}:{self.port}"

    @property
    def public_url(self) -> str:
        """Where staff open it (the links 登录 sends): the configured address, else `url`."""
        return self.cfg.public_url.rstrip("/") or self.url

    @property
    def sessions(self) -> Sessions:
        assert self._sessions is not None, "the server is not started"
        return self._sessions

    async def __aenter__(self) -> WebServer:
        self._secret = await signing_secret(self.app.db, self.cfg.secret)
        self._sessions = Sessions(self._secret, self.app.clock, hours=self.cfg.session_hours)
        server = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024)
        r = server.router
        r.add_get("/login", self.login_page)
        r.add_post("/login/code", self.login_code)
        r.add_post("/login/verify", self.login_verify)
        r.add_get(LINK_PATH, self.link_page)
        r.add_post(LINK_PATH, self.link_login)
        r.add_post("/logout", self.logout)
        r.add_get("/", self._page(WEB_ROLES, self.today))
        r.add_get("/reports", self._page(REPORT_ROLES, self.report_list))
        r.add_get(r"/reports/{id:\d{1,9}}", self._page(REPORT_ROLES, self.report_page))
        r.add_get(r"/reports/{id:\d{1,9}}/photo", self._page(REPORT_ROLES, self.report_photo))
        r.add_post(
            r"/reports/{id:\d{1,9}}/{action:ack|resolve|reassign|note}",
            self._page(REPORT_ROLES, self.report_action),
        )
        r.add_get("/map", self._page(REPORT_ROLES, self.map_page))
        r.add_get("/stats", self._page(STATS_ROLES, self.stats_page))
        r.add_get("/stats/export", self._page(STATS_ROLES, self.stats_export))
        r.add_get("/canteen", self._page(KITCHEN_ROLES, self.canteen_page))
        r.add_get("/people", self._page(ADMIN_ROLES, self.people_page))
        r.add_post("/people/{action:role|grid|leave}", self._page(ADMIN_ROLES, self.people_action))
        r.add_get("/events", self._page(EVENT_ROLES, self.events_page))
        r.add_post(
            r"/events/{id:\d{1,9}}/{action:close|cancel}",
            self._page(EVENT_ROLES, self.event_action),
        )
        r.add_get("/notices", self._page(NOTICE_ROLES, self.notices_page))
        r.add_get("/votes", self._page(VOTE_ROLES, self.votes_page))
        r.add_post(
            r"/notices/{id:\d{1,9}}/{action:pause|resume}",
            self._page(NOTICE_ROLES, self.notice_action),
        )
        r.add_static("/static", HERE / "static", append_version=True)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.cfg.listen, self.cfg.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        await self._announce(self.public_url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is None:
            return
        try:
            await self._runner.cleanup()
        finally:
            try:
                await self._announce("")
            except UNAVAILABLE:  # shutting down with the database gone: nothing to tell
                log.warning("web: could not clear the workbench's address in the database")

    async def _announce(self, url: str) -> None:
        """Where the chat's 登录 points its links ("": the workbench is not served)."""
        async with self.app.db.unit_of_work() as uow:
            await uow.people.set_meta(key=URL_KEY, value=url)

    # -- plumbing

    def _short_time(self, at: datetime | None) -> str:
        return "" if at is None else f"{at.astimezone(self.app.settings.timezone):%m-%d %H:%M}"

    def _full_time(self, at: datetime | None) -> str:
        return "" if at is None else f"{at.astimezone(self.app.settings.timezone):%Y-%m-%d %H:%M}"

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/static/"):
            return self._harden(await handler(request))
        session = self.sessions.load(request.cookies.get(Sessions.COOKIE))
        request[CHANGED] = session is None
        if session is None:
            session = self.sessions.new()
        request[SESSION] = session
        request[PERSON] = await self._person(session)
        if request.method == "POST":
            form = await request.post()
            request[FORM] = form
            if not self.sessions.csrf_ok(session, str(form.get("csrf", ""))):
                log.warning("web: a form without its CSRF token refused (%s)", request.path)
                response: web.StreamResponse = self._error(request, 403, web_texts.CSRF_REFUSED)
                return self._finish(request, response)
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = self._error(request, 404, web_texts.NOT_FOUND)
        except web.HTTPMethodNotAllowed:
            response = self._error(request, 405, web_texts.NOT_FOUND)
        return self._finish(request, response)

    def _finish(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        if request.get(CHANGED):
            response.set_cookie(
                Sessions.COOKIE,
                self.sessions.dump(request[SESSION]),
                max_age=self.sessions.max_age(),
                httponly=True,
                samesite="Lax",
                secure=self.cfg.secure_cookies,
                path="/",
            )
        return self._harden(response)

    @staticmethod
    def _harden(response: web.StreamResponse) -> web.StreamResponse:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if response.content_type == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response

    async def _person(self, session: Session) -> Person | None:
        if session.person_id is None:
            return None
        async with self.app.db.unit_of_work() as uow:
            try:
                person = await uow.people.get(person_id=session.person_id)
            except NotFound:
                return None
        # roles are read on every request: a role taken away in chat ends the workbench
        return person if is_staff(person) else None

    def _set_session(self, request: web.Request, session: Session) -> None:
        request[SESSION] = session
        request[CHANGED] = True

    def _flash(self, request: web.Request, *messages: str) -> None:
        self._set_session(request, request[SESSION].with_flash(*messages))

    def _page(self, roles: Iterable[str], handler: Handler) -> Handler:
        allowed = frozenset(roles)

        async def guarded(request: web.Request) -> web.StreamResponse:
            person: Person | None = request[PERSON]
            if person is None:
                if request.method == "GET":
                    return redirect("/login?" + urlencode({"next": request.path_qs}))
                return self._error(request, 403, web_texts.FORBIDDEN)
            if not person.has_any(*allowed):
                return self._error(request, 403, web_texts.FORBIDDEN)
            return await handler(request)

        return guarded

    def render(
        self, request: web.Request, template: str, status: int = 200, **values: Any
    ) -> web.Response:
        session: Session = request[SESSION]
        flash = session.flash
        if flash:
            self._set_session(request, replace(session, flash=()))
        person: Person | None = request[PERSON]
        nav = [
            (path, label)
            for path, label, roles in NAV
            if person is not None and person.has_any(*roles)
        ]
        body = self._env.get_template(template).render(
            person=person,
            csrf=self.sessions.csrf(session),
            nav=nav,
            path=request.path,
            flash=flash,
            community=self.app.settings.community.name,
            **values,
        )
        return web.Response(status=status, text=body, content_type="text/html", charset="utf-8")

    def _error(self, request: web.Request, status: int, message: str) -> web.Response:
        return self.render(request, "error.html", status=status, message=message)

    def _ctx(self, uow: Any, person: Person | None) -> Context:
        return Context(uow=uow, clock=self.app.clock, settings=self.app.settings, person=person)

    @staticmethod
    def _scope(person: Person) -> int | None:
        """Whose grid limits what a person sees: a grid worker's own; None for overseers."""
        return None if person.has_any(*OVERSEERS) else person.id

    # -- login

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        if request[PERSON] is not None:
            return redirect("/")
        nxt = request.query.get("next", "/")
        return self.render(request, "login.html", step="name", name="", next=_safe_next(nxt))

    async def login_code(self, request: web.Request) -> web.StreamResponse:
        form: MultiDictProxy[Any] = request[FORM]
        name = str(form.get("name", "")).strip()[:100]
        nxt = _safe_next(str(form.get("next", "/")))
        if not name:
            self._flash(request, web_texts.NAME_MISSING)
            return redirect("/login")
        await send_code(self.app.db, self.app.clock, self.app.settings, self._secret, name)
        self.app.sender.wake()
        self._flash(request, web_texts.CODE_SENT)
        return self.render(request, "login.html", step="code", name=name, next=nxt)

    async def login_verify(self, request: web.Request) -> web.StreamResponse:
        form: MultiDictProxy[Any] = request[FORM]
        name = str(form.get("name", "")).strip()[:100]
        code = str(form.get("code", "")).strip()[:20]
        nxt = _safe_next(str(form.get("next", "/")))
        person = await check_code(self.app.db, self.app.clock, self._secret, name, code)
        if person is None:
            self._flash(request, web_texts.CODE_WRONG)
            return self.render(request, "login.html", step="code", name=name, next=nxt)
        self._set_session(request, self.sessions.new(person.id))
        return redirect(nxt)

    async def link_page(self, request: web.Request) -> web.StreamResponse:
        """A 登录 link opened: one button that logs in. Opening the link changes nothing
        (a chat app's link preview must not use it up), the button's form does."""
        token = request.query.get("t", "")[:100]
        return self.render(request, "login.html", step="link", token=token, name="", next="/")

    async def link_login(self, request: web.Request) -> web.StreamResponse:
        form: MultiDictProxy[Any] = request[FORM]
        person = await check_link(self.app.db, self.app.clock, str(form.get("t", ""))[:100])
        if person is None:
            self._flash(request, web_texts.LINK_WRONG)
            return redirect("/login")
        self._set_session(request, self.sessions.new(person.id))
        return redirect("/")

    async def logout(self, request: web.Request) -> web.StreamResponse:
        self._set_session(request, self.sessions.new().with_flash(web_texts.LOGGED_OUT))
        return redirect("/login")

    # -- 今日

    async def today(self, request: web.Request) -> web.StreamResponse:
        person = _staff(request)
        now = self.app.clock.now()
        values: dict[str, Any] = {"reports": None}
        async with self.app.db.unit_of_work() as uow:
            ctx = self._ctx(uow, person)
            if person.has_any(*REPORT_ROLES):
                scope = self._scope(person)
                wb = uow.workbench
                active = ReportFilter(status="active", scope_person=scope)
                overdue = replace(active, overdue=True)
                urgent = replace(active, urgent=True)
                values["reports"] = {
                    "active": await wb.count_reports(active, now=now),
                    "open": await wb.count_reports(replace(active, status=OPEN), now=now),
                    "overdue": await wb.count_reports(overdue, now=now),
                    "urgent": await wb.count_reports(urgent, now=now),
                    "overdue_rows": (await wb.list_reports(overdue, now=now, limit=10))[0],
                    "urgent_rows": (await wb.list_reports(urgent, now=now, limit=10))[0],
                    "new_rows": (
                        await wb.list_reports(replace(active, status=OPEN), now=now, limit=10)
                    )[0],
                }
            day = ctx.today
            values["meals"] = [
                (meal, meals.cutoff_of(ctx, day, meal), await meals.summary_rows(ctx, day, meal))
                for meal in meals.MEALS
            ]
            week_end = now + timedelta(days=7)
            values["events"] = [
                (e, await uow.events.taken(event_id=e.id))
                for e in await uow.events.upcoming(now=now)
                if e.starts_at <= week_end
            ]
        return self.render(request, "today.html", day=day, now=now, **values)

    # -- 隐患

    def _filter(self, request: web.Request, person: Person) -> tuple[ReportFilter, dict[str, str]]:
        """The list's filter from the query string; a value that is not one it knows is
        left out (and not echoed back)."""
        q = request.query
        kept: dict[str, str] = {}
        status = q.get("status")
        if status not in STATUS_NAMES:
            status = None
        else:
            kept["status"] = status
        grid_id = _int(q.get("grid"), low=1, high=10**6)
        if grid_id is not None:
            kept["grid"] = str(grid_id)
        building = (q.get("building") or "").strip()[:50] or None
        if building:
            kept["building"] = building
        category = (q.get("category") or "").strip()[:30] or None
        if category:
            kept["category"] = category
        text = (q.get("q") or "").strip()[:100] or None
        if text:
            kept["q"] = text
        overdue = q.get("overdue") == "1"
        urgent = q.get("urgent") == "1"
        if overdue:
            kept["overdue"] = "1"
        if urgent:
            kept["urgent"] = "1"
        start = end = None
        month = q.get("month") or ""
        if _MONTH.match(month) and 1 <= int(month[5:]) <= 12:
            m = stats.Month(int(month[:4]), int(month[5:]))
            tz = self.app.settings.timezone
            start = datetime.combine(m.first, time(0), tzinfo=tz)
            end = datetime.combine(m.next.first, time(0), tzinfo=tz)
            kept["month"] = month
        f = ReportFilter(
            status=status,
            grid_id=grid_id,
            building=building,
            category=category,
            overdue=overdue,
            urgent=urgent,
            start=start,
            end=end,
            text=text,
            scope_person=self._scope(person),
        )
        return f, kept

    async def report_list(self, request: web.Request) -> web.StreamResponse:
        person = _staff(request)
        f, kept = self._filter(request, person)
        sort = request.query.get("sort", "created")
        sort = sort if sort in SORTS else "created"
        descending = request.query.get("dir", "desc") != "asc"
        page = _int(request.query.get("page"), low=1, high=100_000) or 1
        now = self.app.clock.now()
        async with self.app.db.unit_of_work() as uow:
            rows, total = await uow.workbench.list_reports(
                f,
                now=now,
                sort=sort,
                descending=descending,
                offset=(page - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
            grids = await uow.people.all_grids()
            buildings = await uow.workbench.buildings()
        pages = max(1, math.ceil(total / PAGE_SIZE))

        def link(**change: str | int) -> str:
            params = {**kept, "sort": sort, "dir": "desc" if descending else "asc", "page": page}
            params.update(change)
            return "/reports?" + urlencode(params)

        def sort_link(key: str) -> str:
            flip = "asc" if sort == key and descending else "desc"
            return link(sort=key, dir=flip, page=1)

        return self.render(
            request,
            "reports.html",
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            kept=kept,
            sort=sort,
            descending=descending,
            link=link,
            sort_link=sort_link,
            grids=grids,
            buildings=[b for b, _ in buildings],
            categories=[c.name for c in self.app.settings.reports.categories],
            now=now,
        )

    async def _visible_report(self, request: web.Request, ctx: Context) -> Report | web.Response:
        """The report of the URL if this person may see it (the chat's rule: its assignee,
        a grid worker of its building's grid, or an overseer); else the page to answer."""
        try:
            found = await ctx.uow.reports.get(report_id=int(request.match_info["id"]))
        except NotFound:
            return self._error(request, 404, web_texts.NOT_FOUND)
        if not await may_act(ctx, found):
            return self._error(request, 403, web_texts.FORBIDDEN)
        return found

    async def report_page(self, request: web.Request) -> web.StreamResponse:
        person = _staff(request)
        async with self.app.db.unit_of_work() as uow:
            ctx = self._ctx(uow, person)
            found = await self._visible_report(request, ctx)
            if isinstance(found, web.Response):
                return found
            names: dict[int, str] = {}

            async def name(pid: int | None) -> str:
                if pid is None:
                    return ""
                if pid not in names:
                    names[pid] = (await uow.people.get(person_id=pid)).name
                return names[pid]

            history = [
                (e, await name(e.actor_id)) for e in await uow.reports.events(report_id=found.id)
            ]
            values: dict[str, Any] = {
                "report": found,
                "reporter": await uow.people.get(person_id=found.reporter_id),
                "assignee": await name(found.assignee_id),
                "history": history,
                "followers": await uow.workbench.follower_names(report_id=found.id),
                "ratings": await uow.workbench.ratings(report_id=found.id),
                "buildings": [b for b, _ in await uow.workbench.buildings()],
                "workers": [
                    p.name
                    for p in await uow.people.staff()
                    if p.has_any("grid_worker", "property", *OVERSEERS)
                ],
                "overdue": _is_overdue(found, ctx.now),
                "photo": self._photo_shown(found),
            }
        return self.render(request, "report.html", **values)

    def _fetcher(self, report: Report) -> Fetch | None:
        """How this server can get a report's photo bytes: through the running adapter of
        the platform it came from, if that adapter can fetch files (Telegram's getFile)."""
        if not report.photo or report.photo.startswith(("wechat-image:", "photo-")):
            return None
        fetch: Fetch | None = getattr(
            self.app.adapters.get(report.origin_platform), "fetch_voice", None
        )
        return fetch

    def _photo_shown(self, report: Report) -> str | None:
        """What the page says of a report's photo: None (no photo), "image" (it is shown),
        or the sentence why it cannot be."""
        if not report.photo:
            return None
        if self._fetcher(report) is not None:
            return "image"
        if report.photo.startswith("wechat-image:"):
            return web_texts.PHOTO_WECHAT
        if report.photo.startswith("photo-"):
            return web_texts.PHOTO_CONSOLE
        return web_texts.PHOTO_OFFLINE.format(
            platform=texts.PLATFORM_NAMES.get(report.origin_platform, report.origin_platform)
        )

    async def report_photo(self, request: web.Request) -> web.StreamResponse:
        """The photo of a report, fetched from the platform when asked (only its file id
        is kept); served only if it is a picture, never cached by the browser."""
        person = _staff(request)
        async with self.app.db.unit_of_work() as uow:
            found = await self._visible_report(request, self._ctx(uow, person))
        if isinstance(found, web.Response):
            return found
        fetch = self._fetcher(found)
        if fetch is None or found.photo is None:
            return self._error(request, 404, web_texts.NOT_FOUND)
        try:
            data = await fetch(found.photo)
        except OSError as exc:
            log.warning("web: the photo of %s could not be fetched: %s", found.number, exc)
            return self._error(request, 404, web_texts.PHOTO_UNAVAILABLE)
        kind = _image_type(data)
        if kind is None:
            log.warning("web: the photo of %s is no picture we serve", found.number)
            return self._error(request, 404, web_texts.PHOTO_UNAVAILABLE)
        return web.Response(
            body=data,
            content_type=kind,
            headers={"Cache-Control": "private, no-store"},
        )

    async def report_action(self, request: web.Request) -> web.StreamResponse:
        person = _staff(request)
        form: MultiDictProxy[Any] = request[FORM]
        async with self.app.db.unit_of_work() as uow:
            found = await self._visible_report(request, self._ctx(uow, person))
        if isinstance(found, web.Response):
            return found
        action = request.match_info["action"]
        extra = str(form.get("text", "")).strip()
        if action in ("reassign", "note") and not extra:
            self._flash(request, web_texts.TEXT_NEEDED)
            return redirect(f"/reports/{found.id}")
        command = f"{ACTIONS[action]} {found.number} {extra}".strip()
        outcome = await perform(self.app, person.id, command)
        self._flash(request, *outcome.messages)
        return redirect(f"/reports/{found.id}")

    # -- 小区图

    async def map_page(self, request: web.Request) -> web.StreamResponse:
        person = _staff(request)
        now = self.app.clock.now()
        async with self.app.db.unit_of_work() as uow:
            loads = await uow.workbench.open_by_building(now=now, scope_person=self._scope(person))
            buildings = await uow.workbench.buildings()
            grids = {g.id: g.name for g in await uow.people.all_grids()}
        cells = [(b, grids.get(gid, "") if gid else "", loads.get(b)) for b, gid in buildings]
        cells.sort(key=lambda c: building_order(c[0]))
        width = self.cfg.layout_columns
        rows = [cells[i : i + width] for i in range(0, len(cells), width)]
        unplaced = sum(v.open for k, v in loads.items() if k not in {b for b, _ in buildings})
        return self.render(request, "map.html", rows=rows, unplaced=unplaced)

    # -- 统计

    async def _month(self, request: web.Request, ctx: Context) -> stats.Month:
        try:
            return stats.parse_month(request.query.get("month", "")[:20], ctx.today)
        except UserError:
            self._flash(request, web_texts.BAD_MONTH)
            return stats.parse_month("", ctx.today)

    async def stats_page(self, request: web.Request) -> web.StreamResponse:
        person = _staff(request)
        async with self.app.db.unit_of_work() as uow:
            ctx = self._ctx(uow, person)
            month = await self._month(request, ctx)
            period = await stats.month_stats(ctx, month)
            # the trend: each month's figures exactly as chat 「统计 2026-10」 gives them
            months = [month]
            periods = [period]
            for _ in range(TREND_MONTHS - 1):
                months.append(months[-1].previous)
                periods.append(await stats.month_stats(ctx, months[-1]))
            months.reverse()
            periods.reverse()
        data = stats.as_dict(month, period)
        weeks: dict[int, int] = defaultdict(int)
        for (week, _), n in period.by_week_category.items():
            weeks[week] += n
        week_labels = stats.week_labels(month)
        per_week = [weeks.get(w, 0) for w in range(len(week_labels))]
        labels = [f"{m.month}月" for m in months]
        tallies = [p.total for p in periods]
        rates = [stats.rates(t) for t in tallies]
        trend = [
            (m.label, t.received, t.resolved, r)
            for m, t, r in zip(months, tallies, rates, strict=True)
        ]
        return self.render(
            request,
            "stats.html",
            month=month,
            data=data,
            pct=stats.pct,
            duration=stats.duration,
            trend=trend,
            week_chart=charts.bars(
                f"{month.label} 各周受理",
                week_labels,
                [charts.Series("受理", charts.RED, per_week)],
            ),
            count_chart=charts.bars(
                "近六个月受理与办结",
                labels,
                [
                    charts.Series("受理", charts.RED, [t.received for t in tallies]),
                    charts.Series("办结", charts.GREEN, [t.resolved for t in tallies]),
                ],
            ),
            rate_chart=charts.lines(
                "近六个月三率",
                labels,
                [
                    charts.Series("响应率", charts.BLUE, [r["response"] for r in rates]),
                    charts.Series("解决率", charts.GREEN, [r["resolution"] for r in rates]),
                    charts.Series("满意率", charts.AMBER, [r["satisfaction"] for r in rates]),
                ],
            ),
            chat_text=stats.render(ctx, month, period),
        )

    async def stats_export(self, request: web.Request) -> web.StreamResponse:
        person = _staff(request)
        async with self.app.db.unit_of_work() as uow:
            ctx = self._ctx(uow, person)
            month = await self._month(request, ctx)
            path = Path(self.app.settings.exports_dir) / f"web-reports-{month.label}.xlsx"
            await stats.export_reports(ctx, month, path)
            await uow.people.record_change(
                actor_id=person.id,
                action="web",
                detail=web_texts.AUDIT_ACTION.format(command=f"导出上报 {month.label}"),
                at=ctx.now,
            )
        return web.FileResponse(
            path,
            headers={
                "Content-Disposition": f'attachment; filename="reports-{month.label}.xlsx"',
                "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            },
        )

    # -- 食堂

    async def canteen_page(self, request: web.Request) -> web.StreamResponse:
        person = _staff(request)
        async with self.app.db.unit_of_work() as uow:
            ctx = self._ctx(uow, person)
            raw = request.query.get("day", "")
            day = ctx.today
            if _DAY.match(raw):
                try:
                    day = date.fromisoformat(raw)
                except ValueError:
                    day = ctx.today
            grid_of: dict[str, str] = {}
            grids = {g.id: g.name for g in await uow.people.all_grids()}
            for b, gid in await uow.workbench.buildings():
                grid_of[b] = grids.get(gid, "") if gid else ""
            sheets = []
            for meal in meals.MEALS:
                rows = await meals.summary_rows(ctx, day, meal)
                by_grid: dict[str, list[Any]] = defaultdict(list)
                for r in rows:
                    if r.delivery:
                        by_grid[grid_of.get(r.building) or "未分网格"].append(r)
                sheets.append(
                    {
                        "meal": meal,
                        "cutoff": meals.cutoff_of(ctx, day, meal),
                        "rows": rows,
                        "portions": sum(r.portions for r in rows),
                        "delivery": sum(r.portions for r in rows if r.delivery),
                        "by_grid": sorted(by_grid.items()),
                    }
                )
        return self.render(
            request,
            "canteen.html",
            day=day,
            sheets=sheets,
            prev=(day - timedelta(days=1)).isoformat(),
            next=(day + timedelta(days=1)).isoformat(),
        )

    # -- 活动, 通知: their actions are the chat's commands too

    async def _command(self, request: web.Request, command: str, back: str) -> web.Response:
        outcome = await perform(self.app, _staff(request).id, command)
        self._flash(request, *outcome.messages)
        return redirect(back)

    async def events_page(self, request: web.Request) -> web.StreamResponse:
        person = _staff(request)
        now = self.app.clock.now()
        async with self.app.db.unit_of_work() as uow:
            listed = []
            for event_id in await uow.workbench.event_ids(since=now):
                e = await uow.events.get(event_id=event_id)
                going = await uow.events.rsvps(event_id=e.id, status=GOING)
                waiting = await uow.events.rsvps(event_id=e.id, status=WAITLIST)
                # the roster by the chat's rule (名单 E1): its organiser, community, branch
                # and admins; the other grid workers see the numbers only
                mine = e.created_by == person.id or person.has_any(*ROSTER_ROLES)
                roster = None
                if mine:
                    roster = {
                        "going": [
                            ((await uow.people.get(person_id=r.person_id)).name, r.guests)
                            for r in going
                        ],
                        "waiting": [
                            ((await uow.people.get(person_id=r.person_id)).name, r.guests)
                            for r in waiting
                        ],
                    }
                listed.append(
                    {
                        "event": e,
                        "taken": sum(r.size for r in going),
                        "waiting": sum(r.size for r in waiting),
                        "roster": roster,
                    }
                )
        return self.render(request, "events.html", events=listed, event_status=EVENT_STATUS)

    async def event_action(self, request: web.Request) -> web.StreamResponse:
        number = f"E{int(request.match_info['id'])}"
        if request.match_info["action"] == "close":
            return await self._command(request, f"关闭活动 {number}", "/events")
        form: MultiDictProxy[Any] = request[FORM]
        if form.get("confirm") != "1":  # cancelling tells everyone: asked for twice
            self._flash(request, web_texts.CONFIRM_NEEDED)
            return redirect("/events")
        return await self._command(request, f"取消活动 {number}", "/events")

    async def notices_page(self, request: web.Request) -> web.StreamResponse:
        async with self.app.db.unit_of_work() as uow:
            ctx = self._ctx(uow, _staff(request))
            listed = [
                (
                    n,
                    announcements.describe_targets(n),
                    announcements.fmt_next(
                        ctx, n.next_run_at if n.status == NOTICE_ACTIVE else None
                    ),
                )
                for n in await uow.notices.listed()
            ]
        return self.render(
            request, "notices.html", notices=listed, notice_status=texts.NOTICE_STATUS
        )

    async def notice_action(self, request: web.Request) -> web.StreamResponse:
        verb = "暂停通知" if request.match_info["action"] == "pause" else "恢复通知"
        return await self._command(request, f"{verb} A{int(request.match_info['id'])}", "/notices")

    async def votes_page(self, request: web.Request) -> web.StreamResponse:
        person = _staff(request)
        async with self.app.db.unit_of_work() as uow:
            ctx = self._ctx(uow, person)
            listed = []
            for pid in await uow.workbench.proposal_ids():
                p = await uow.votes.proposal(proposal_id=pid)
                # the chat's own count and wording (表决情况, the result at the deadline);
                # who voted how only for admins, as the chat sends it only to them
                text = p.result or votes.result_text(p, await votes._count(ctx, p))
                rows = await votes._vote_rows(ctx, p) if person.has_any("admin") else []
                listed.append((p, text, rows))
        return self.render(request, "votes.html", proposals=listed, headers=votes.VOTE_HEADERS)

    # -- 人员

    async def people_page(self, request: web.Request) -> web.StreamResponse:
        person = _staff(request)
        async with self.app.db.unit_of_work() as uow:
            ctx = self._ctx(uow, person)
            staff = []
            for p in await uow.people.staff():
                accounts = await uow.people.accounts_of(person_id=p.id)
                away = await uow.people.away_until(person_id=p.id, today=ctx.today)
                staff.append((p, accounts, away))
            grids = []
            for g in await uow.people.all_grids():
                grids.append(
                    (
                        g,
                        await uow.people.buildings_of_grid(grid_id=g.id),
                        [w.name for w in await uow.people.workers_of_grid(grid_id=g.id)],
                        (await uow.people.get(person_id=g.backup_id)).name if g.backup_id else "",
                    )
                )
            changes = []
            for c in await uow.people.changes(limit=50):
                who = (await uow.people.get(person_id=c.actor_id)).name if c.actor_id else "配置"
                changes.append((c, who))
        roles = [(key, label) for key, label in texts.ROLE_NAMES.items() if key != "resident"]
        return self.render(
            request,
            "people.html",
            staff=staff,
            grids=grids,
            changes=changes,
            roles=roles,
            today=ctx.today.isoformat(),
        )

    async def people_action(self, request: web.Request) -> web.StreamResponse:
        """A change to a person: the chat's admin command (设置角色, 取消角色, 加入网格,
        移出网格, 请假, 销假), run as the admin wrote it privately."""
        form: MultiDictProxy[Any] = request[FORM]
        name = str(form.get("name", "")).strip()
        op = str(form.get("op", ""))
        value = str(form.get("value", "")).strip()
        if not name or len(name) > 100 or any(c.isspace() for c in name):
            self._flash(request, web_texts.PERSON_NEEDED)
            return redirect("/people")
        action = request.match_info["action"]
        verb = PEOPLE_VERBS.get((action, op))
        command = ""
        if action == "role" and verb and value in texts.ROLE_NAMES and value != "resident":
            command = f"{verb} {name} {texts.ROLE_NAMES[value]}"
        elif action == "grid" and verb and value and not any(c.isspace() for c in value):
            command = f"{verb} {name} {value[:50]}"
        elif action == "leave" and verb and op == "end":
            command = f"{verb} {name}"
        elif action == "leave" and verb and _DAY.match(value):
            command = f"{verb} {name} 至 {value}"
        if not command:
            self._flash(request, web_texts.CHOICE_NEEDED)
            return redirect("/people")
        return await self._command(request, command, "/people")


def _staff(request: web.Request) -> Person:
    """The logged-in staff member of a guarded page."""
    person = request[PERSON]
    assert person is not None, "a guarded page without a person"
    return person


def building_order(name: str) -> tuple[int, str]:
    """1栋, 2栋, … 10栋: by number, then by name."""
    digits = re.match(r"\d+", name)
    return (int(digits.group()) if digits else 10_000, name)


def _safe_next(target: str) -> str:
    """Only a path of this site: never another host (an open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target[:500]
    return "/"


def _image_type(data: bytes) -> str | None:
    """The content type of a JPEG, PNG or WebP picture; None for anything else (a page, a
    script) — the bytes come from outside and are served only as what they are."""
    if len(data) > MAX_PHOTO:
        return None
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _is_overdue(report: Report, now: datetime) -> bool:
    if report.status == OPEN and report.ack_due is not None:
        return report.ack_due < now
    if report.status == ACKNOWLEDGED and report.resolve_due is not None:
        return report.resolve_due < now
    return False
