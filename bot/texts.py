"""Every sentence the user reads, in one place (HTML parse mode).

Handlers pick a text and fill it in; values that come from users are escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from html import escape
from typing import Final

from schedules.nudges import PAUSED_UNTIL_RESUMED, Outcome
from schedules.parsing import MAX_TIMES, NAG_MINUTES, NAG_TIMES, PAUSE_DAYS, SNOOZE_MINUTES
from schedules.recurrence import EVERY_DAY, Weekdays
from schedules.routines import Routine
from schedules.supplements import (
    CALCIUM_MAX_MG,
    CALCIUM_MIN_MG,
    VITAMIN_D_MIN_IU,
    Dose,
    Food,
    Intake,
    Nutrient,
)
from schedules.today import SlotState, TodayItem
from schedules.yoga import Move

DISCLAIMER: Final = (
    "ℹ️ I share what one article says, in my own words. It is not medical advice: "
    "ask a doctor about your own health."
)

ROUTINE_NAMES: Final = {
    Routine.YOGA: "Facial yoga",
    Routine.MOISTURIZE: "Moisturizing",
    Routine.SUPPLEMENTS: "Calcium + vitamin D",
}
ROUTINE_ICONS: Final = {Routine.YOGA: "🧘", Routine.MOISTURIZE: "🧴", Routine.SUPPLEMENTS: "💊"}
OUTCOME_LABELS: Final = {
    Outcome.PENDING: "⏳ pending",
    Outcome.DONE: "✅ done",
    Outcome.SNOOZED: "⏰ snoozed",
    Outcome.SKIPPED: "⏭ skipped",
    Outcome.MISSED: "❌ missed",
    Outcome.PAUSED: "🏖 paused",
}

BUTTON_DONE: Final = "✅ Done"
BUTTON_SNOOZE: Final = "⏰ Snooze"
BUTTON_SKIP: Final = "⏭ Skip"
BUTTON_LOCATION: Final = "📍 Share my location"
BUTTON_FORGET_YES: Final = "Yes, delete everything"
BUTTON_FORGET_NO: Final = "Cancel"
BUTTON_SUMMARY_OFF: Final = "Stop weekly summaries"
BUTTON_YOGA_START: Final = "▶ Start (5 min)"
BUTTON_YOGA_NEXT: Final = "⏭ Next"
BUTTON_YOGA_FINISH: Final = "✅ Finish"
BUTTON_YOGA_STOP: Final = "⏹ Stop"
BUTTON_ZONE_YES: Final = "✅ Yes"
BUTTON_ZONE_NO: Final = "✖ No"
BUTTON_ZONE_NONE: Final = "None of these"

COMMANDS: Final[tuple[tuple[str, str], ...]] = (
    ("start", "set up, or start again"),
    ("today", "today's routines and their state"),
    ("plan", "your plan and the next nudge"),
    ("set", "set times and days: /set yoga 07:30 mon wed fri"),
    ("on", "switch a routine on: /on yoga"),
    ("off", "switch a routine off: /off yoga"),
    ("timezone", "show or change your time zone"),
    ("pause", "holiday mode: /pause 3, or until /resume"),
    ("resume", "end holiday mode"),
    ("snooze", "snooze length: /snooze 15"),
    ("nag", "re-send unanswered nudges: /nag 20 3, /nag off"),
    ("summary", "weekly summary: /summary on, /summary off"),
    ("yoga", "a guided 5-minute facial-yoga session"),
    ("dose", "what one supplement ✅ stands for: /dose calcium 600 vitd 400"),
    ("stats", "streaks and adherence, with a chart"),
    ("faq", "questions about facial bone loss"),
    ("export", "all your records as CSV"),
    ("forget", "delete everything I hold on you"),
    ("help", "this list"),
)


def _name(routine: Routine) -> str:
    return f"{ROUTINE_ICONS[routine]} {ROUTINE_NAMES[routine]}"


def _hhmm(at: time | datetime) -> str:
    return at.strftime("%H:%M")


def welcome() -> str:
    """The first thing a new user reads."""
    return (
        "👋 <b>Hi, I'm FaceNudge.</b> I send you short daily nudges for three small routines "
        "an article on facial bone loss recommends — facial yoga, moisturizing and calcium + "
        "vitamin D — keep track of your answers, and answer questions about the article.\n\n"
        f"{DISCLAIMER}"
    )


def ask_zone() -> str:
    """Onboarding's time-zone question."""
    return (
        "🌍 <b>Which time zone are you in?</b> Share your location with the button, or type "
        "your city or country (<code>Berlin</code>, <code>India</code>), a zone name "
        "(<code>Europe/Berlin</code>) or an offset (<code>UTC+5:45</code>)."
    )


def zone_set(zone: str, offset: str, local_now: datetime, place: str | None = None) -> str:
    """Confirms a time zone, echoing the place it was found from."""
    source = f" for {escape(place)}" if place and place != zone else ""
    return (
        f"🕰 Time zone set to <b>{escape(zone)}</b> ({offset}){source}; it's {_hhmm(local_now)} "
        "there now. Your nudges follow it, daylight saving included."
    )


def zone_set_fixed(zone: str, local_now: datetime) -> str:
    """Confirms a fixed UTC offset, honest that it ignores daylight saving."""
    return (
        f"🕰 Time zone set to <b>{escape(zone)}</b>; it's {_hhmm(local_now)} there now.\n"
        "⚠️ A fixed offset won't follow daylight saving time: if your clocks change in summer or "
        "winter, type your city instead (<code>/timezone Berlin</code>)."
    )


def zone_choice(place: str) -> str:
    """A country or region with several zones: pick one by its clock."""
    return (
        f"🗺 <b>{escape(place)}</b> spans more than one time zone. Which clock is yours? "
        "Or type your city."
    )


def zone_option_button(label: str, local_now: datetime) -> str:
    """One zone button: a place in it and its time now."""
    return f"{label} · {_hhmm(local_now)}"


def zone_suggest(label: str, local_now: datetime) -> str:
    """A close but inexact match, to confirm before anything is set."""
    return f"🤔 Did you mean <b>{escape(label)}</b> — {_hhmm(local_now)} there now?"


def zone_retry() -> str:
    """The user said no to a suggestion or a choice."""
    return (
        "OK, nothing changed. Type your city (or a bigger one nearby), a zone name like "
        "<code>Europe/Berlin</code>, or share your location."
    )


def zone_bad_offset() -> str:
    """An offset outside what clocks use."""
    return (
        "🤔 UTC offsets run from <code>UTC-12</code> to <code>UTC+14</code>, in steps of 15 "
        "minutes (<code>UTC+5:45</code>). Better still, type your city."
    )


def zone_unknown(text: str) -> str:
    """The user typed something that is not a place or zone we know."""
    return (
        f"🤔 I couldn't find a time zone for “{escape(text[:60])}”. Try a bigger city nearby, a "
        "zone name like <code>Asia/Kathmandu</code>, an offset like <code>UTC+5:45</code>, or "
        "share your location."
    )


def zone_current(zone: str | None, offset: str | None) -> str:
    """/timezone without an argument."""
    if zone is None:
        return "You haven't set a time zone yet. " + ask_zone()
    return (
        f"Your time zone is <b>{escape(zone)}</b> ({offset}). To change it: "
        "<code>/timezone Berlin</code>, a country, a zone name like <code>Europe/Berlin</code>, "
        "or an offset like <code>UTC-3</code>."
    )


def need_zone() -> str:
    """A command that needs a time zone before it can work."""
    return "First tell me your time zone. " + ask_zone()


def need_start() -> str:
    """A command from someone who never pressed /start."""
    return "Press /start first so I can set you up — it takes ten seconds."


_WEEKDAY_ABBR: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekdays(days: Weekdays) -> str:
    """A routine's days as the user reads them: "daily", "Mon–Fri", "Mon Wed Fri"."""
    if days >= EVERY_DAY:
        return "daily"
    if days == frozenset(range(5)):
        return "Mon–Fri"
    return " ".join(_WEEKDAY_ABBR[day] for day in sorted(days) if 0 <= day <= 6)


def plan(
    entries: Sequence[tuple[Routine, bool, Sequence[time], datetime | None, Weekdays]],
    zone: str,
    paused_until: datetime | None,
    snooze_minutes: int,
    nag: tuple[int, int] | None,
) -> str:
    """/plan: each routine, its times, on/off and the next nudge in local time."""
    lines = [f"📋 <b>Your plan</b> ({escape(zone)})"]
    for routine, enabled, times, next_due, days in entries:
        clock = ", ".join(_hhmm(t) for t in times) or "no times"
        clock += f" {weekdays(days)}" if times and days != EVERY_DAY else ""
        if not enabled:
            state = "off"
        elif next_due is not None:
            state = f"next {next_due:%a %d %b %H:%M}"
        else:
            state = "paused" if paused_until is not None else "on"
        lines.append(f"{_name(routine)}: {clock} — {state}")
    if paused_until is not None:
        lines.append(f"\n🏖 Paused {_until(paused_until)}. /resume to end it early.")
    lines.append(f"\n⏰ Snooze: {snooze_minutes} min.")
    lines.append(
        f"🔁 Re-send unanswered nudges every {nag[0]} min, at most {nag[1]} times."
        if nag
        else "🔁 Unanswered nudges are not re-sent (/nag to change)."
    )
    lines.append(
        "Change times with <code>/set yoga 07:30</code>, days with "
        "<code>/set yoga mon wed fri</code>; /on and /off switch a routine."
    )
    return "\n".join(lines)


def set_usage() -> str:
    """/set with missing or bad arguments."""
    return (
        "To set times, name a routine and one or more 24-hour times, e.g. "
        "<code>/set yoga 07:30</code> or <code>/set moisturize 08:00 21:30</code>. "
        "Add days if it is not every day: <code>/set yoga 07:30 mon wed fri</code>, "
        "<code>weekdays</code>, <code>weekends</code>, <code>mon-fri</code> or "
        "<code>daily</code>. "
        "Routines: <code>yoga</code>, <code>moisturize</code>, <code>supplements</code>."
    )


def bad_times(text: str) -> str:
    """A time that doesn't parse (``text`` is the first one at fault)."""
    return (
        f"⏱ “{escape(text[:60])}” isn't a time I understand. Use times like "
        "<code>07:30</code>, <code>21:00</code>, <code>7pm</code> or <code>noon</code> "
        f"(up to {MAX_TIMES} a day). Nothing was changed."
    )


def bad_days(text: str) -> str:
    """A word among the times that is neither a time nor a day (the first one at fault)."""
    return (
        f"📅 “{escape(text[:60])}” isn't a time I understand, nor a day. Give times like "
        "<code>07:30</code> or <code>7pm</code>, then days if it is not every day: "
        "<code>mon wed fri</code>, <code>tue,thu</code>, <code>mon-fri</code>, "
        "<code>weekdays</code>, <code>weekends</code> or <code>daily</code> — e.g. "
        "<code>/set yoga 07:30 mon wed fri</code>. Nothing was changed."
    )


def too_many_times() -> str:
    """/set with more daily times than a routine may have."""
    return (
        f"⏱ A routine can have at most {MAX_TIMES} times a day. Pick the ones that matter "
        "most. Nothing was changed."
    )


def unknown_routine(text: str, *, or_all: bool = False) -> str:
    """A routine name we don't know (``or_all``: where "all" would have worked too)."""
    choices = (
        "<code>yoga</code>, <code>moisturize</code>, <code>supplements</code> or <code>all</code>"
        if or_all
        else "<code>yoga</code>, <code>moisturize</code> or <code>supplements</code>"
    )
    return (
        f"🤔 I don't know a routine called “{escape(text[:40])}”. Choose {choices}. "
        "Nothing was changed."
    )


def times_set(
    routine: Routine,
    times: Sequence[time],
    next_due: datetime | None,
    days: Weekdays = EVERY_DAY,
    *,
    paused: bool = False,
) -> str:
    """Confirms /set, with the days (unless daily) and the real next nudge, after any holiday."""
    if next_due is not None:
        when = f" Next: {next_due:%a %d %b %H:%M}."
    else:
        when = " Paused until you /resume." if paused else ""
    on = f" on {weekdays(days)}" if days != EVERY_DAY else ""
    return f"{_name(routine)} set to {', '.join(_hhmm(t) for t in times)}{on}.{when}"


def switched(routine: Routine, enabled: bool) -> str:
    """Confirms /on or /off."""
    return f"{_name(routine)} is {'on' if enabled else 'off'}."


def switched_all(enabled: bool) -> str:
    """Confirms /on all or /off all."""
    if enabled:
        return "All your routines are on. /plan shows when each comes next."
    return "All your routines are off: no nudges until you switch one on (/on all, or /on yoga)."


def on_off_usage(command: str) -> str:
    """/on or /off without a routine."""
    return (
        f"Which routine? e.g. <code>/{command} yoga</code> (yoga, moisturize, supplements), "
        f"or <code>/{command} all</code>."
    )


def nudge(routine: Routine, prompt: str, at: time, *, repeat: bool) -> str:
    """The nudge itself."""
    again = " (again)" if repeat else ""
    return (
        f"{_name(routine)} · {_hhmm(at)}{again}\n{escape(prompt)}\n\n"
        "<i>Reply to this message to add a note.</i>"
    )


def nudge_sent_again(routine: Routine, at: time) -> str:
    """An older copy of a nudge once it has been sent again (snooze or reminder)."""
    return f"{_name(routine)} · {_hhmm(at)}\n\n<i>Sent again below ⬇️</i>"


def nudge_answered(routine: Routine, prompt: str, at: time, outcome: Outcome, until: str) -> str:
    """The nudge after a button press, showing its outcome."""
    extra = f" until {until}" if outcome is Outcome.SNOOZED else ""
    label = f"<b>{OUTCOME_LABELS[outcome]}{extra}</b>"
    return f"{_name(routine)} · {_hhmm(at)}\n{escape(prompt)}\n\n{label}"


def press_ack(outcome: Outcome, changed: bool, current: Outcome) -> str:
    """The short toast answering a button press."""
    if not changed:
        return f"Already recorded: {OUTCOME_LABELS[current]}."
    return {
        Outcome.DONE: "Nice work! ✅",
        Outcome.SNOOZED: "Snoozed ⏰",
        Outcome.SKIPPED: "Skipped — rest days count too.",
    }.get(outcome, "Saved.")


def typed_ack(routine: Routine, at: time, ack: str) -> str:
    """Confirms a typed answer ("done", "skip", "later"), naming the nudge it answered."""
    return f"{_name(routine)} · {_hhmm(at)}: {ack}"


def no_open_nudge(outcome: Outcome) -> str:
    """ "done" or "skip" typed alone when no sent nudge is waiting for an answer."""
    verb = "mark done" if outcome is Outcome.DONE else "skip"
    return (
        f"There's no open nudge to {verb} right now — every nudge I've sent is answered. "
        "/today shows today's, and marks one done early."
    )


YOGA_SAFETY: Final = (
    "These moves are my suggestion; the article recommends facial exercise but names none. "
    "Stop if anything hurts, and skip the jaw moves if your jaw joint hurts."
)


def yoga_move(move: Move, step: int, total: int, remaining: int) -> str:
    """One move of a guided session, with its live countdown."""
    how = "\n".join(escape(line) for line in move.how)
    jaw = " (jaw move: skip it if your jaw joint hurts)" if move.jaw else ""
    return (
        f"🧘 <b>Facial yoga · move {step + 1} of {total}</b>\n\n"
        f"<b>{escape(move.name)}</b>{jaw}\n{how}\n⏳ {escape(move.hold)}\n\n"
        f"⏱ <b>{remaining // 60}:{remaining % 60:02d}</b> left on this move\n\n"
        f"<i>{YOGA_SAFETY}</i>"
    )


def yoga_done(moves: int, marked_done: bool) -> str:
    """A session finished."""
    nudge = " Today's yoga nudge is marked ✅ done." if marked_done else ""
    return f"🧘 <b>Facial yoga</b>\n\n✅ Session done: {moves} moves. Nice work!{nudge}"


def yoga_stopped(step: int, total: int) -> str:
    """A session stopped early, saying how far it got."""
    return (
        f"🧘 <b>Facial yoga</b>\n\n⏹ Stopped at move {step + 1} of {total} "
        f"({step} done). /yoga starts a new session any time."
    )


def yoga_started(name: str) -> str:
    """Toast when a session starts."""
    return f"First move: {name}"


def yoga_next(name: str) -> str:
    """Toast for ⏭ Next."""
    return f"Next: {name}"


YOGA_ALREADY_RUNNING: Final = (
    "🧘 You have a session running already — ⏹ Stop it first to start a new one."
)
YOGA_FINISHED_TOAST: Final = "Session done ✅"
YOGA_STOPPED_TOAST: Final = "Stopped — see how far you got."
YOGA_NOT_YOGA: Final = "That nudge isn't a facial-yoga one — nothing was started."

STALE_BUTTON: Final = "This button is no longer valid — nothing was changed."
TOO_OLD: Final = "This nudge is too old to change — it stays as it was."
PRIVATE_ONLY: Final = "I work in private chats only — message me directly. 🙂"


def note_saved(routine: Routine, day: date) -> str:
    """A reply to a nudge was stored."""
    return f"📝 Note saved on {_name(routine)} for {day:%a %d %b}."


def note_too_long(limit: int) -> str:
    """A reply that is too long to keep."""
    return f"That note is longer than {limit} characters; please send a shorter one."


def note_full(limit: int) -> str:
    """A nudge's note already holds about as much as one message can show."""
    return (
        f"This nudge's note is full ({limit} characters). "
        "Your reply was not added; reply to another nudge to keep writing."
    )


def help_text() -> str:
    """/help: every command, one line each."""
    lines = ["<b>What I can do</b>"]
    lines += [f"/{name} — {escape(desc)}" for name, desc in COMMANDS]
    lines.append("\nOr just ask a question about facial bone loss in your own words.")
    return "\n".join(lines)


def unknown_command() -> str:
    """A slash command we don't have."""
    return "🤷 I don't know that command. /help lists what I can do."


def unsupported_message() -> str:
    """Stickers, photos and other things that aren't text."""
    return "I can only read text. Ask me a question, or see /help."


def too_long(limit: int) -> str:
    """Oversized text."""
    return f"That's a lot of text! Please keep it under {limit} characters."


def slow_down() -> str:
    """Told at most once a minute to someone sending faster than the throttle lets through."""
    return (
        "🐢 That's a lot of messages at once — I'm skipping some so everyone gets an answer. "
        "Give me a few seconds, then carry on."
    )


def export_caption(count: int) -> str:
    """The CSV export's caption."""
    return f"📄 Your records: {count} nudge{'' if count == 1 else 's'}."


def export_empty() -> str:
    """Nothing to export yet."""
    return "You have no records yet — your first nudge will start them."


def forget_confirm() -> str:
    """/forget's question."""
    return (
        "🗑 This deletes <b>everything</b> I hold on you: time zone, plan, every nudge and note. "
        "It can't be undone (/export first if you want a copy). Delete it all?"
    )


def forgotten() -> str:
    """After /forget."""
    return "Done: everything I held on you is deleted. /start whenever you want to come back."


def forget_nothing() -> str:
    """/forget confirmed when nothing is held (pressed twice, or never started)."""
    return "There's nothing of yours left to delete."


def forget_cancelled() -> str:
    """/forget cancelled."""
    return "Cancelled — nothing was deleted."


def _until(instant: datetime) -> str:
    if instant.year >= PAUSED_UNTIL_RESUMED.year:
        return "until you send /resume"
    return f"until {instant:%a %d %b %H:%M}"


def paused(until: datetime) -> str:
    """Confirms /pause."""
    return f"🏖 Paused {_until(until)}. /resume ends it early."


def pause_usage() -> str:
    """/pause with a bad number of days."""
    low, high = PAUSE_DAYS
    return (
        f"Pause for how many days? e.g. <code>/pause 3</code> ({low}–{high}). Nothing was changed."
    )


def resumed(was_paused: bool) -> str:
    """Confirms /resume."""
    return "▶️ Welcome back — nudges are on again." if was_paused else "You weren't paused. 🙂"


def snooze_set(minutes: int) -> str:
    """Confirms /snooze."""
    return f"⏰ Snooze now waits {minutes} minutes."


def snooze_usage(current: int) -> str:
    """/snooze with a bad value."""
    return (
        f"Snooze currently waits {current} min. Set it with e.g. <code>/snooze 15</code> "
        f"({SNOOZE_MINUTES[0]}–{SNOOZE_MINUTES[1]} minutes)."
    )


def nag_set(minutes: int, times: int) -> str:
    """Confirms /nag."""
    return f"🔁 I'll re-send an unanswered nudge every {minutes} min, at most {times} times."


def nag_off() -> str:
    """Confirms /nag off."""
    return "🔁 Unanswered nudges won't be re-sent."


def nag_usage() -> str:
    """/nag with bad arguments."""
    return (
        "Use <code>/nag 20 3</code> to re-send an unanswered nudge every 20 minutes, at most 3 "
        f"times ({NAG_MINUTES[0]}–{NAG_MINUTES[1]} minutes, {NAG_TIMES[0]}–{NAG_TIMES[1]} times), "
        "or <code>/nag off</code>. Nothing was changed."
    )


SLOT_LABELS: Final = {
    SlotState.LATER: "🕒 later today",
    SlotState.DUE: "📨 on its way",
    SlotState.WAITING: "⏳ sent, waiting for your answer",
    SlotState.SNOOZED: OUTCOME_LABELS[Outcome.SNOOZED],
    SlotState.PASSED: "🚫 not sent: its time had passed when it was planned",
    SlotState.PAUSED: OUTCOME_LABELS[Outcome.PAUSED],
    SlotState.DONE: OUTCOME_LABELS[Outcome.DONE],
    SlotState.SKIPPED: OUTCOME_LABELS[Outcome.SKIPPED],
    SlotState.MISSED: OUTCOME_LABELS[Outcome.MISSED],
}


def today(
    day: date,
    items: Sequence[TodayItem],
    resting: Sequence[tuple[Routine, Weekdays, datetime | None]] = (),
) -> str:
    """/today: each of today's planned times with its state, and the routines resting today."""
    if not items and not resting:
        return "Nothing planned today. /plan shows your routines."
    lines = [f"📅 <b>Today</b>, {day:%A %d %B}"]
    for item in items:
        until = f" until {_hhmm(item.until)}" if item.until else ""
        lines.append(f"{_hhmm(item.at)} {_name(item.routine)} — {SLOT_LABELS[item.state]}{until}")
    for routine, days, next_due in resting:
        when = f", next {next_due:%a %d %b %H:%M}" if next_due else ""
        lines.append(f"😴 {_name(routine)} rests today ({weekdays(days)}{when})")
    return "\n".join(lines)


def done_early_button(routine: Routine, at: time) -> str:
    """A /today button."""
    return f"✅ {ROUTINE_NAMES[routine]} {_hhmm(at)}"


def done_early(changed: bool) -> str:
    """Toast for a /today button."""
    return "Marked done ✅ — no nudge for it today." if changed else "Already closed."


def stats(rows: Sequence[tuple[Routine, int, int, float | None, float | None, float]]) -> str:
    """/stats as text: streaks, adherence and strength per routine."""
    lines = ["📊 <b>Your stats</b>"]
    for routine, current, best, week, month, strength in rows:
        lines.append(
            f"{_name(routine)}\n  streak {current} (best {best}) · 7 days {_pct(week)} · "
            f"30 days {_pct(month)} · strength {_pct(strength)}"
        )
    lines.append("\nSkipped and paused days don't break a streak.")
    lines.append(STRENGTH_EXPLAINED)
    return "\n".join(lines)


STRENGTH_EXPLAINED: Final = (
    "Strength shows how settled a habit is: each done day raises it, each missed day lowers "
    "it a little, and the last few weeks count most."
)


def stats_first(first: tuple[Routine, datetime] | None) -> str:
    """/stats before there is anything to count: what will appear, and when it starts."""
    when = (
        f"your stats start with your first nudge: {_name(first[0])}, {first[1]:%a %d %b at %H:%M}."
        if first
        else "every routine is off right now; /on all switches them on."
    )
    return (
        f"📊 <b>Nothing to chart yet</b> — {when}\n"
        "Answer it with ✅ Done and come back: each routine gets a row of 30 days (green for "
        "done), its streak, its 7- and 30-day adherence and its habit strength."
    )


def _num(value: int) -> str:
    return f"{value:,}"


def _dose(dose: Dose) -> str:
    pills = f" ({dose.pills} pills)" if dose.pills > 1 else ""
    return f"{_num(dose.calcium_mg)} mg calcium and {_num(dose.vitamin_d_iu)} IU vitamin D{pills}"


NO_DOSE_ADVICE: Final = (
    "Food counts too. I don't give medical advice on doses: ask a doctor or pharmacist what is "
    "right for you."
)
TARGETS: Final = (
    f"the article's {_num(CALCIUM_MIN_MG)}–{_num(CALCIUM_MAX_MG)} mg calcium and at least "
    f"{VITAMIN_D_MIN_IU} IU vitamin D a day"
)


def dose_set(dose: Dose) -> str:
    """Confirms /dose."""
    return (
        f"💊 Noted: each ✅ on a supplement nudge now counts as {_dose(dose)}. "
        f"/stats shows each day against {TARGETS}. Add food with a message like "
        f"<code>+300 mg yogurt</code> (calcium) or <code>+200 IU salmon</code> (vitamin D).\n\n"
        f"<i>{NO_DOSE_ADVICE}</i>"
    )


def dose_usage(current: Dose | None) -> str:
    """/dose without (good) arguments; says what is set now."""
    now = f"Now each ✅ counts as {_dose(current)}. " if current else "No dose is set yet. "
    return (
        f"💊 {now}Tell me what one ✅ on a supplement nudge stands for, e.g. "
        "<code>/dose calcium 600 vitd 400</code>, or "
        "<code>/dose calcium 500 vitd 400 pills 2</code> "
        "(mg of calcium, IU of vitamin D). Nothing was changed.\n\n"
        f"<i>{NO_DOSE_ADVICE}</i>"
    )


def food_added(food: Food, today: Intake) -> str:
    """Confirms food added with +300 mg …, with today's totals so far."""
    unit = "mg calcium" if food.nutrient is Nutrient.CALCIUM else "IU vitamin D"
    label = f" ({escape(food.label)})" if food.label else ""
    return (
        f"🥛 Added {_num(food.amount)} {unit}{label} to today. So far today: "
        f"{_num(today.calcium_mg)} mg calcium, {_num(today.vitamin_d_iu)} IU vitamin D "
        f"(aim: {TARGETS})."
    )


def food_usage() -> str:
    """A +… message that doesn't say mg or IU, or an amount out of range."""
    return (
        "🥛 To add food, give the amount and its unit: <code>+300 mg yogurt</code> for calcium, "
        "<code>+200 IU salmon</code> for vitamin D. Nothing was recorded."
    )


def supplement_left(left: Intake) -> str:
    """The supplement nudge's line on what is left for the day once this dose is taken."""
    if not left.calcium_mg and not left.vitamin_d_iu:
        return "With this dose you reach today's targets. Food counts too."
    parts = []
    if left.calcium_mg:
        parts.append(
            f"+{_num(left.calcium_mg)} mg from food to reach {_num(CALCIUM_MIN_MG)} mg calcium"
        )
    if left.vitamin_d_iu:
        parts.append(f"+{_num(left.vitamin_d_iu)} IU to reach {VITAMIN_D_MIN_IU} IU vitamin D")
    return "After this dose: " + "; ".join(parts) + "."


def intake_days(days: Sequence[tuple[date, Intake]]) -> str:
    """/stats' calcium and vitamin D per day against the article's targets."""
    lines = [f"\n💊 <b>Calcium · vitamin D</b> against {TARGETS}:"]
    for day, intake in days:
        if intake.calcium_mg < CALCIUM_MIN_MG:
            mark = "below"
        elif intake.calcium_mg > CALCIUM_MAX_MG:
            mark = f"over {_num(CALCIUM_MAX_MG)}"
        else:
            mark = "✅"
        d_mark = "✅" if intake.vitamin_d_iu >= VITAMIN_D_MIN_IU else "below"
        lines.append(
            f"{day:%a %d}: {_num(intake.calcium_mg)} / {_num(CALCIUM_MIN_MG)} mg {mark} · "
            f"{_num(intake.vitamin_d_iu)} IU {d_mark}"
        )
    lines.append(f"Add food with <code>+300 mg yogurt</code>. {NO_DOSE_ADVICE}")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def weekly_summary(week: float | None, line: str) -> str:
    """The Sunday-evening summary."""
    return f"🗓 <b>Your week</b>: {_pct(week)} of your nudges done.\n{escape(line)}"


WEEKLY_LINES: Final = (
    "Calcium and vitamin D feed your bones; the article aims at 1,000–1,300 mg and 500+ IU a day.",
    "Toned facial muscles can make changes in bone structure less visible — keep going.",
    "Moisturized skin keeps its elasticity while the face changes with age.",
    "Facial exercise may help slow bone loss; the article is honest that proof is still missing.",
)


def summary_off() -> str:
    """Confirms opting out of the weekly summary."""
    return "OK, no more weekly summaries. /summary on brings them back."


def summary_on(next_at: datetime) -> str:
    """Confirms /summary on, with the first one's local time."""
    return (
        f"🗓 Weekly summary is on: the next one comes {next_at:%a %d %b at %H:%M}. "
        "None is sent while you're paused or with every routine off."
    )


def summary_state(enabled: bool, next_at: datetime | None) -> str:
    """/summary alone: is it on, and when is the next one."""
    if not enabled or next_at is None:
        return "🗓 Weekly summary is off. <code>/summary on</code> turns it on (Sundays, 19:00)."
    return (
        f"🗓 Weekly summary is on: Sundays at {next_at:%H:%M}, next {next_at:%a %d %b}. "
        "<code>/summary off</code> stops it."
    )


def summary_usage() -> str:
    """/summary with an argument that is neither on nor off."""
    return (
        "Use <code>/summary on</code> or <code>/summary off</code> for the weekly summary, or "
        "<code>/summary</code> to see whether it's on. Nothing was changed."
    )


def faq_intro() -> str:
    """/faq's header above the topic buttons."""
    return "❓ <b>Questions about facial bone loss</b> — pick a topic, or ask in your own words."


def faq_answers(parts: Sequence[tuple[str, str]], with_disclaimer: bool) -> str:
    """FAQ answers, each under its question, in one message; the disclaimer the first time."""
    text = "\n\n".join(f"<b>{escape(q)}</b>\n{escape(a)}" for q, a in parts)
    return f"{text}\n\n<i>{escape(DISCLAIMER)}</i>" if with_disclaimer else text


def faq_unknown() -> str:
    """A question the article doesn't cover."""
    return (
        "🤷 The article I know doesn't cover that, so I'd rather not guess. It's about facial "
        "bone loss with age and what may help (calcium and vitamin D, not smoking, "
        "moisturizer, facials, facial exercise). /faq lists the topics."
    )


EMERGENCY: Final = (
    "🚑 <b>Please get medical help now.</b> An injury, sudden or severe pain, numbness, a face "
    "drooping on one side, slurred speech, chest pain or trouble breathing need a doctor, not a "
    "reminder bot. Call your local emergency number (112 in Europe, 911 in the US, 999 in the "
    "UK) or go to an emergency department. If it is less urgent, see a doctor today."
)

CRISIS: Final = (
    "💛 I'm really sorry you're feeling this way, and I'm glad you said it. If you might act on "
    "these thoughts or are in danger, call your local emergency number now (112, 911, 999). "
    "You can talk to someone at any hour: 988 in the US (call or text), Samaritans on 116 123 "
    "in the UK and Ireland, or find a free line near you at findahelpline.com."
)

DISTRESS: Final = (
    "💛 I'm sorry you're feeling this way. Faces change with age for everyone, and you deserve "
    "kindness, including your own. If this feeling stays or weighs on your days, talking to "
    "your doctor or someone you trust can help; findahelpline.com lists free, confidential "
    "support lines. I'm here for reminders and questions whenever you like (/help)."
)

DISCOMFORT: Final = (
    "Sorry it hurts. Ease off the facial exercises and be gentle with your face until it "
    "settles (/pause stops the nudges for a while). See a doctor if the pain is severe, came on "
    "suddenly, lasts more than a few days, or comes with swelling, numbness or trouble opening "
    "your mouth."
)

SMALL_TALK: Final = {
    "greeting": "👋 Hi! Ask me anything about facial bone loss, or see /help for what I can do.",
    "thanks": "You're welcome! 😊 /help lists everything I can do.",
    "ack": "👍 /help lists what I can do whenever you need it.",
    "farewell": "Bye for now! Your nudges carry on as planned. /help if you need me.",
}
"""Short replies to greetings, thanks, acknowledgements and goodbyes (by triage kind)."""


def error_reply() -> str:
    """Something failed on our side."""
    return "😵 Something went wrong on my side. Nothing was lost — please try again in a moment."
