"""Staff pages of the review inbox and the support analytics (insights/): what the bot did not
understand, grouped, with the writer actions (assign a group to an intent, mark it "needs a KB
article"); answers to flow questions that matched no option, with theirs (add a group as answers of
an option after seeing the diff, mark it as noise); one customer's conversations as the tracker
store has them, and the support leads' figures with charts. Every page needs a staff login; the
actions are POST forms with the session's CSRF token, and nothing is written without one of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response

from handoff_api.deps import SessionDep, check_csrf
from handoff_api.live_chat_figures import live_chat_figures, minutes
from handoff_api.page_helpers import flash, render, see_other, staff_or_login
from insights.charts import Chart, bar_chart, line_chart
from insights.conversations import REVIEW_REASONS
from insights.flow_variants import VariantError
from insights.inbox import UnknownGroup
from insights.metrics import Analytics
from insights.nlu_export import ExportError, UnknownIntent
from insights.period import InvalidRange, Period
from insights.service import Insights
from insights.tracker_events import StoreUnavailable

router = APIRouter(prefix="/staff", include_in_schema=False)
T = TypeVar("T")

# Dates as the forms send them (YYYY-MM-DD); anything longer is not a date.
FromQuery = Annotated[str, Query(alias="from", max_length=32)]
ToQuery = Annotated[str, Query(alias="to", max_length=32)]
FromForm = Annotated[str, Form(alias="from", max_length=32)]
ToForm = Annotated[str, Form(alias="to", max_length=32)]
IntentField = Annotated[str, Form(max_length=100)]
TitleField = Annotated[str, Form(max_length=200)]
OptionField = Annotated[str, Form(max_length=100)]


def _insights(request: Request) -> Insights:
    return request.app.state.insights


def _range_query(period: Period) -> str:
    return urlencode({"from": period.first.isoformat(), "to": period.last.isoformat()})


def _today(request: Request) -> dt.date:
    # The service's clock (tests fix it), in the business time zone the days are counted in.
    return request.app.state.clock().astimezone(_insights(request).settings.zone).date()


def _period_or_400(request: Request, first: str, last: str) -> Period:
    try:
        return _insights(request).period(first or None, last or None, _today(request))
    except InvalidRange as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc


def _charts(a: Analytics) -> list[Chart]:
    rates = [
        ("Containment", a.containment),
        ("Handoff", a.handoff),
        ("Fallback", a.fallback),
        ("Out of scope", a.out_of_scope),
        ("CSAT response", a.csat_response),
        ("First-contact res.", a.fcr),
    ]
    return [
        bar_chart(
            "Rates (% of conversations)",
            [(label, round(100 * r.value, 1)) for label, r in rates if r.value is not None],
            unit="%",
            headers=("Figure", "Rate"),
            maximum=100,
        ),
        bar_chart(
            "Handoffs by reason",
            [(reason.replace("_", " "), r.numerator) for reason, r in a.handoff_by_reason.items()],
            headers=("Reason", "Conversations"),
        ),
        bar_chart(
            "CSAT ratings",
            [(f"{value} of 5", n) for value, n in a.csat_distribution.items()],
            headers=("Rating", "Answers"),
        ),
        bar_chart("Top intents", [(i, n) for i, n in a.top_intents], headers=("Intent", "Conversations")),
        line_chart(
            "Per day",
            [d.day.isoformat() for d in a.trend],
            {
                "Conversations": [d.conversations for d in a.trend],
                "Contained": [d.contained for d in a.trend],
                "Handed over": [d.handoffs for d in a.trend],
                "Fallback": [d.fallbacks for d in a.trend],
            },
        ),
    ]


class _PageError(Exception):
    """A range the page cannot show: the page is rendered with the message and this status."""

    def __init__(self, status_code: int, message: str, shown: dict[str, str]) -> None:
        super().__init__(message)
        self.status_code, self.shown = status_code, shown


def _for_period(request: Request, first: str, last: str, compute: Callable[[Period], T]) -> tuple[Period, T]:
    """The period the form asked for and `compute` over it; a bad range (400) or an unreachable
    tracker store (503) raise _PageError with the dates to show again."""
    insights = _insights(request)
    try:
        period = insights.period(first or None, last or None, _today(request))
    except InvalidRange as exc:
        raise _PageError(status.HTTP_400_BAD_REQUEST, str(exc), {"first": first, "last": last}) from exc
    shown = {"first": period.first.isoformat(), "last": period.last.isoformat()}
    try:
        return period, compute(period)
    except StoreUnavailable as exc:
        raise _PageError(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), shown) from exc


@router.get("/analytics", response_class=HTMLResponse)
def analytics_page(
    request: Request,
    session: SessionDep,
    first: FromQuery = "",
    last: ToQuery = "",
) -> Response:
    user = staff_or_login(request, session)
    context: dict[str, Any] = {"user": user, "first": first, "last": last, "error": None, "a": None}
    try:
        period, a = _for_period(request, first, last, _insights(request).analytics)
    except _PageError as exc:
        return render(request, "staff/analytics.html", context | exc.shown | {"error": str(exc)}, exc.status_code)
    return render(
        request,
        "staff/analytics.html",
        context
        | {
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "a": a,
            "definitions": {d.key: d for d in a.definitions},
            "charts": _charts(a),
            "range": _range_query(period),
            "live": live_chat_figures(request.app.state.db, period),
            "duration": minutes,
        },
    )


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    session: SessionDep,
    first: FromQuery = "",
    last: ToQuery = "",
) -> Response:
    user = staff_or_login(request, session)
    insights = _insights(request)
    context: dict[str, Any] = {"user": user, "first": first, "last": last, "error": None, "inbox": None}
    try:
        period, (inbox, flow_inbox) = _for_period(request, first, last, insights.inboxes)
    except _PageError as exc:
        return render(request, "staff/inbox.html", context | exc.shown | {"error": str(exc)}, exc.status_code)
    return render(
        request,
        "staff/inbox.html",
        context
        | {
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "inbox": inbox,
            "flow_inbox": flow_inbox,
            "teachable": insights.teachable_questions(),
            "intents": insights.intents(),
            "reasons": REVIEW_REASONS,
            "nlu_dir": insights.settings.nlu_data_dir,
        },
    )


@dataclass
class _InboxForm:
    """The fields every inbox change posts: the period shown and the session's CSRF token."""

    first: FromForm = ""
    last: ToForm = ""
    csrf_token: Annotated[str, Form()] = ""


InboxForm = Annotated[_InboxForm, Depends()]


def _change_inbox(request: Request, session: SessionDep, form: _InboxForm, change: Callable[[Period], str]) -> Response:
    """Run one staff change of the inbox for the period shown, flash its summary, back to the inbox."""
    staff_or_login(request, session)
    check_csrf(request, form.csrf_token)
    period = _period_or_400(request, form.first, form.last)
    try:
        summary = change(period)
    except UnknownGroup as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except UnknownIntent as exc:  # before ExportError, its base class
        raise HTTPException(422, str(exc)) from exc
    except (ExportError, VariantError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    flash(request, summary)
    return see_other(f"/staff/inbox?{_range_query(period)}")


@router.post("/inbox/{group_id}/assign")
def assign_form(
    group_id: str, request: Request, session: SessionDep, form: InboxForm, intent: IntentField = ""
) -> Response:
    def assign(period: Period) -> str:
        result = _insights(request).assign(period, group_id, intent)
        return result.summary() + (" Retrain (make train) for the bot to learn them." if result.added else "")

    return _change_inbox(request, session, form, assign)


@router.post("/inbox/{group_id}/kb-stub")
def kb_stub_form(
    group_id: str, request: Request, session: SessionDep, form: InboxForm, title: TitleField = ""
) -> Response:
    def write_stub(period: Period) -> str:
        return _insights(request).kb_stub(period, group_id, title.replace("\x00", "") or None).summary()

    return _change_inbox(request, session, form, write_stub)


@router.post("/inbox/flow/{group_id}/variants", response_model=None)
def flow_variants_form(
    group_id: str,
    request: Request,
    session: SessionDep,
    form: InboxForm,
    option: OptionField = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Unmatched answers as new phrases of an option: first the diff, saved only on confirmation."""
    if confirm == "yes":

        def save(period: Period) -> str:
            result = _insights(request).add_variants(period, group_id, option, write=True)
            return result.summary() + (" The bot understands them from its next turn." if result.written else "")

        return _change_inbox(request, session, form, save)
    user = staff_or_login(request, session)
    check_csrf(request, form.csrf_token)
    period = _period_or_400(request, form.first, form.last)
    try:
        result = _insights(request).add_variants(period, group_id, option, write=False)
    except UnknownGroup as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except VariantError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return render(
        request,
        "staff/flow_variants.html",
        {
            "user": user,
            "result": result,
            "asked": result.asked,
            "group_id": group_id,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "range": _range_query(period),
        },
    )


@router.post("/inbox/flow/{group_id}/noise")
def flow_noise_form(group_id: str, request: Request, session: SessionDep, form: InboxForm) -> Response:
    return _change_inbox(request, session, form, lambda period: _insights(request).mark_noise(period, group_id))


@router.get("/conversations/{conversation_id:path}", response_class=HTMLResponse)
def conversation_page(conversation_id: str, request: Request, session: SessionDep) -> Response:
    user = staff_or_login(request, session)
    try:
        conversations = _insights(request).customer(conversation_id)
    except StoreUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
    if not conversations:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no conversation {conversation_id!r}")
    return render(
        request,
        "staff/conversation.html",
        {"user": user, "conversation_id": conversation_id, "conversations": conversations, "reasons": REVIEW_REASONS},
    )
