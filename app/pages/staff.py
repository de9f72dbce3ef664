"""The staff form, `/staff`: post a stage of an operation with its parties and seizures,
correct or delete a stage. The page is static HTML in the reader's language; its script
(static/staff.js) calls the same JSON API with the same validation, with the API key the
user types, kept in the tab's sessionStorage only (no cookie, so no CSRF surface).

The script reads its messages from the page: `JS_MESSAGES`, translated here through the
merged catalogs (locale/<lang>/LC_MESSAGES/staff.po), in a JSON block that is not run.
`{name}` in a message is filled in by the script.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.models.enums import ResultMetric, SourceKind
from app.pages.facts import result_label
from app.pages.i18n import LangDep, translations
from app.pages.routing import PageRoute
from app.pages.templating import render_page

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def N_(message: str) -> str:  # noqa: N802 - the name message extractors know
    """Marks a message for extraction; translated when the page is drawn."""
    return message


JS_MESSAGES: dict[str, str] = {
    # the key
    "keySet": N_("A key is set for this tab."),
    "keyNotSet": N_("No key is set: enter one to load the lists and to send changes."),
    "keyRequired": N_("Enter the API key."),
    "keyNotKept": N_("This browser does not let the page keep the key (session storage is off)."),
    "keyForgotten": N_("The key is forgotten."),
    "keyMissing": N_("Enter your API key first (above); nothing was sent."),
    "keyRefused": N_("The API key was refused: it is unknown or revoked. Nothing was changed."),
    "keyCannotWrite": N_("This API key may read but not write. Nothing was changed."),
    # the lists
    "listsNeedKey": N_(
        "The lists of operations, sources, countries and substances need an API "
        "key here: enter it above."
    ),
    "listsFailed": N_(
        "The lists of operations, sources, countries and substances could not be "
        "loaded. Reload the page to try again."
    ),
    "none": N_("— none —"),
    "choose": N_("— choose —"),
    "groupOfParties": N_("Group"),
    "memberStatesGroup": N_("CSTO member states (as a group)"),
    "memberStates": N_("Member states"),
    "otherCountries": N_("Other countries"),
    "organizations": N_("Organizations"),
    # rows
    "participantN": N_("Participant {n}"),
    "observerN": N_("Observer {n}"),
    "seizureN": N_("Seizure {n}"),
    "partN": N_("Part {n}"),
    "resultN": N_("Result {n}"),
    "versionN": N_("Version {n}"),
    "wholeNumberFrom1": N_("A number from 1, as the rows are numbered."),
    "unnumbered": N_("with no number"),
    "rowRemoved": N_("Removed."),
    # problems
    "problemsOne": N_("Nothing was saved. Correct this problem and send again:"),
    "problemsMany": N_("Nothing was saved. Correct these {n} problems and send again:"),
    "required": N_("Fill this in."),
    "endBeforeStart": N_("The end is before the start."),
    "badDate": N_("This is not a whole date."),
    "idRequired": N_("Enter the stage's id, a whole number."),
    "numberTaken": N_("This operation already has a stage with this number."),
    "existingStage": N_("See that stage."),
    "notAccepted": N_("Not accepted: {message}"),
    "failed": N_("The server answered {status}; nothing was saved."),
    "network": N_("The server did not answer. Check the connection and try again."),
    "networkRetry": N_(
        "The server did not answer, so it is not known whether the stage was "
        "created. Send again: the form sends the same request key, so the stage is created at "
        "most once."
    ),
    "tooManyTries": N_("Too many failed key checks from this address; try again in {seconds} s."),
    "busy": N_("The database is busy; nothing was changed. Try again in a moment."),
    "tooLarge": N_("The form is too large to send."),
    "operationNotFound": N_("There is no such operation."),
    "stageNotFound": N_("There is no stage with this id."),
    "stageGone": N_("This stage no longer exists: someone deleted it."),
    "notSaved": N_("Not saved; see the problems listed."),
    # progress and results
    "sending": N_("Sending…"),
    "formEmptied": N_("The form is empty."),
    "created": N_("Stage {number} of {operation} was created."),
    "createdAgain": N_(
        "Stage {number} of {operation} was created earlier; it was not created again."
    ),
    "createdTitle": N_("Created: stage {number} of {operation} (id {id})"),
    "editTitle": N_("Stage {number} of {operation} (id {id})"),
    "loaded": N_("Stage {number} (id {id}) is loaded."),
    "saved": N_("Saved: stage {number}."),
    "nothingChanged": N_("Nothing was changed, so nothing was sent."),
    "staleShort": N_("Not saved: someone else changed this stage meanwhile."),
    "deleteQuestion": N_(
        "Delete stage {number} of {operation} with its parties ({parties}) and "
        "seizure reports ({seizures})? The audit log keeps a copy."
    ),
    "deleted": N_("Stage {number} of {operation} was deleted."),
    "empty": N_("(empty)"),
    # a stage's facts
    "factOperation": N_("Operation"),
    "factNumber": N_("Number"),
    "factPeriod": N_("Period"),
    "factLead": N_("Lead country"),
    "factSource": N_("Source"),
    "factParticipants": N_("Participants"),
    "factObservers": N_("Observers"),
    "factSeizures": N_("Seizures"),
    "factNames": N_("Names"),
    "factHeadquarters": N_("Headquarters"),
    "factResults": N_("Other results"),
    "versionOf": N_("another source's version: {text}"),
    "noPeriod": N_("no dates"),
    # readers' error reports
    "reportsLoading": N_("Loading the reports…"),
    "reportsNone": N_("No report waits for review."),
    "reportsWaiting": N_("Reports waiting for review: {n}."),
    "reportsFailed": N_("The reports could not be loaded: the server answered {status}."),
    "reportTitle": N_("Report {id} of {date}"),
    "reportPage": N_("Page"),
    "reportWrong": N_("What is wrong"),
    "reportSourceSays": N_("What the source says"),
    "reportSourceUrl": N_("Where the source says it"),
    "reportContact": N_("Contact"),
    "reportNote": N_("Staff note"),
    "reportCorrection": N_("Audit log entry of the correction (optional)"),
    "reportAccept": N_("Accept"),
    "reportReject": N_("Reject"),
    "reportAccepted": N_("Accepted."),
    "reportRejected": N_("Rejected."),
    "reportTaken": N_("Someone has reviewed this report already."),
    "including": N_("including"),
    "casesCount": N_("cases: {n}"),
}


# What a result counts, by the unit the seeds give it (seeds/channel uses the same words); a
# metric left out counts items. Money is not offered: its unit is a currency.
RESULT_UNITS = {
    "officers_involved": "officers",
    "criminal_cases": "cases",
    "crimes_detected": "crimes",
    "persons_detained": "persons",
    "groups_exposed": "groups",
    "websites_blocked": "websites",
    "labs_closed": "laboratories",
    "precursors": "grams",
}


# The kinds of source, in the order the rule on /methods ranks them.
SOURCE_KINDS: dict[SourceKind, str] = {
    SourceKind.OFFICIAL_CSTO: N_("Official: CSTO"),
    SourceKind.OFFICIAL_KSOPN: N_("Official: the Council (KSOPN)"),
    SourceKind.MINISTRY: N_("A national ministry"),
    SourceKind.CARICC: N_("CARICC"),
    SourceKind.NEWS_AGENCY: N_("A news agency"),
    SourceKind.PRESS: N_("The press"),
    SourceKind.WEAK: N_("A weak source (a repost, a rewrite)"),
}


def source_kinds(lang: str) -> list[tuple[str, str]]:
    gettext = translations(lang).gettext
    return [(kind.value, gettext(label)) for kind, label in SOURCE_KINDS.items()]


def result_metrics(lang: str) -> list[tuple[str, str, str]]:
    """Each kind of result with its label and the unit it counts (the option's data-unit)."""
    gettext = translations(lang).gettext
    return [
        (
            metric.value,
            result_label(metric.value, gettext).capitalize(),
            RESULT_UNITS.get(metric.value, "items"),
        )
        for metric in ResultMetric
        if metric != ResultMetric.MONEY
    ]


def js_messages(lang: str) -> dict[str, str]:
    """The script's messages in `lang`."""
    gettext = translations(lang).gettext
    return {key: gettext(text) for key, text in JS_MESSAGES.items()}


@router.get("/staff", response_class=HTMLResponse)
def staff_form(request: Request, lang: LangDep) -> HTMLResponse:
    """The staff form, in the language of `?lang=` or Accept-Language."""
    context = {
        "messages": js_messages(lang),
        "source_kinds": source_kinds(lang),
        "result_metrics": result_metrics(lang),
    }
    return render_page(request, "staff.html", lang, context)
