"""The demo organisation as data: who signs in, the three groups and their children, the
mentors and their matches, and the events that give every flag on the lead's pages a
reason to show. app/demo/loader.py builds it, wave by wave, through the services.

The first wave (the Monday group) is the programme the demo began with; the second (the
Wednesday and Thursday groups) came later, so an organisation built by an earlier version
gets it on the next run. Each wave draws from its own seed: the same date gives the same
demo."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from app.mentoring.models import EndedBy, EndReason

DEMO_ORG = "Tandem demo council"
DEMO_USERS = [
    ("admin@demo.tandem.example.org", "Ada Admin", "admin"),
    ("lead@demo.tandem.example.org", "Lena Lead", "lead"),
    ("facilitator1@demo.tandem.example.org", "Femi Facilitator", "facilitator"),
    ("facilitator2@demo.tandem.example.org", "Fiona Facilitator", "facilitator"),
    ("facilitator3@demo.tandem.example.org", "Priya Facilitator", "facilitator"),
    ("facilitator4@demo.tandem.example.org", "Kwame Facilitator", "facilitator"),
    ("facilitator5@demo.tandem.example.org", "Rosa Facilitator", "facilitator"),
    ("facilitator6@demo.tandem.example.org", "Dan Facilitator", "facilitator"),
    ("mentor1@demo.tandem.example.org", "Mo Mentor", "mentor"),
    ("mentor2@demo.tandem.example.org", "Maya Mentor", "mentor"),
    ("mentor3@demo.tandem.example.org", "Sam Mentor", "mentor"),
    ("mentor4@demo.tandem.example.org", "Tasha Mentor", "mentor"),
    ("mentor5@demo.tandem.example.org", "Jo Mentor", "mentor"),
    ("mentor6@demo.tandem.example.org", "Tom Mentor", "mentor"),
    ("mentor7@demo.tandem.example.org", "Aisha Mentor", "mentor"),
    ("mentor8@demo.tandem.example.org", "Gareth Mentor", "mentor"),
    ("mentor9@demo.tandem.example.org", "Nadia Mentor", "mentor"),
    ("mentor10@demo.tandem.example.org", "Leon Mentor", "mentor"),
    ("mentor11@demo.tandem.example.org", "Zara Mentor", "mentor"),
    ("mentor12@demo.tandem.example.org", "Owen Mentor", "mentor"),
    ("mentor13@demo.tandem.example.org", "Bea Mentor", "mentor"),
    ("mentor14@demo.tandem.example.org", "Ioana Mentor", "mentor"),
    # The Independent Visitors (IV_WAVE): volunteers in that programme only.
    ("visitor1@demo.tandem.example.org", "Hugh Visitor", "mentor"),
    ("visitor2@demo.tandem.example.org", "Pat Visitor", "mentor"),
    ("visitor3@demo.tandem.example.org", "Carmen Visitor", "mentor"),
    ("visitor4@demo.tandem.example.org", "Yusuf Visitor", "mentor"),
]
LEAD = DEMO_USERS[1][0]
DEMO_NOTES = {
    "facilitator1@demo.tandem.example.org": "Monday group",
    "facilitator2@demo.tandem.example.org": "Monday group",
    "facilitator3@demo.tandem.example.org": "Wednesday group",
    "facilitator4@demo.tandem.example.org": "Wednesday group",
    "facilitator5@demo.tandem.example.org": "Thursday group",
    "facilitator6@demo.tandem.example.org": "Thursday group",
    "mentor3@demo.tandem.example.org": "DBS check runs out soon",
    "mentor4@demo.tandem.example.org": "one mentee, one match ended",
    "mentor5@demo.tandem.example.org": "newly trained, no mentees yet",
    "mentor6@demo.tandem.example.org": "not ready: references missing",
    "mentor12@demo.tandem.example.org": "no visit for two weeks",
    "mentor13@demo.tandem.example.org": "raised a safeguarding concern",
    "mentor14@demo.tandem.example.org": "one mentee, matched three weeks ago",
    "mentor1@demo.tandem.example.org": "also an Independent Visitor",
    "visitor1@demo.tandem.example.org": "Independent Visitor, one match ended early",
    "visitor2@demo.tandem.example.org": "Independent Visitor, two children",
    "visitor3@demo.tandem.example.org": "Independent Visitor, one child also in a group",
    "visitor4@demo.tandem.example.org": "Independent Visitor",
}


class DemoChild(NamedTuple):
    reference: str
    first_name: str
    months: int  # age in months on the cohort's first date
    placement: str
    gender: str  # keys of the controlled lists (app/children/lists.py)
    ethnicity: str
    languages: list[str]
    interests: list[str]
    preferences: dict[str, Any]  # what the young person asked for
    ethnicity_other: str | None = None  # their words for an "Any other ..." ethnic group


class DemoCohort(NamedTuple):
    name: str
    weekday: int  # Monday 0
    first: tuple[int, int]  # (month, day) in the school year's calendar year: the first date
    start: str
    venue: str
    facilitators: tuple[str, str]
    children: list[DemoChild]


class DemoMentor(NamedTuple):
    email: str
    gender: str  # keys of the controlled lists (app/children/lists.py)
    ethnicity: str
    languages: list[str]
    interests: list[str]
    care_experience: bool
    availability: str
    about: str
    checked: int | None  # days since the DBS check; None: a check that runs out in 40 days
    trained: int | None = None  # days since their training; None: when they were checked
    references: bool = True
    ethnicity_other: str | None = None


class Story(StrEnum):
    """What sets a match apart from the others."""

    ends = "ends"  # the child moved away: the match ended ENDED_DAYS_AGO
    missed = "missed"  # one visit missed, the week before last
    overdue = "overdue"  # one check-in, then none: the lead's monthly check-in is overdue
    recent = "recent"  # matched three weeks ago, once a Romanian-speaking mentor was found
    off_sick = "off sick"  # no completed visit in the last two full weeks (the mentor was ill)
    concern = "concern"  # the latest visit raised a safeguarding concern


class DemoMatch(NamedTuple):
    mentor: str
    child: str
    chosen: bool  # by the young person
    weekday: int  # of the visits (ISO)
    start: str
    minutes: int
    story: Story | None = None


class Weighted(NamedTuple):
    """One of the outcomes, by weight (one `random.choices`)."""

    outcomes: tuple[str, ...]
    weights: tuple[int, ...]


class Chance(NamedTuple):
    """`yes` with probability `p` (one `random.random`), otherwise `no`."""

    p: float
    yes: str
    no: str


Draw = str | Weighted | Chance  # a plain outcome is certain: nothing is drawn

MARKS = ("present", "late", "absent", "excused")
COVERED = ("delivered", "partial", "skipped")
LOW_DOSAGE = Weighted(("present", "absent", "excused"), (62, 30, 8))


@dataclass(frozen=True, kw_only=True)
class Wave:
    """Cohorts the demo adds together, with their mentors and matches, and how the sessions
    and visits so far went."""

    cohorts: tuple[DemoCohort, ...]
    mentors: tuple[DemoMentor, ...]
    matches: tuple[DemoMatch, ...]
    seed: int
    # Before the cohorts: an organisation closure (reason, first and last (month, day) in the
    # school year's calendar year) that their planner works around.
    closure: tuple[str, tuple[int, int], tuple[int, int]] | None = None
    # (cohort, week, reason): the session cancelled, its lesson (with every later one) moved
    # on a week.
    cancelled: tuple[str, int, str] | None = None
    # (child, week, reason): withdrawn the day after that week's session, once it is past.
    withdrawn: tuple[str, int, str] | None = None

    # The registers: each child's mark, a child below the dosage threshold (LOW_DOSAGE),
    # certain marks ((session index, counted from the end when negative), child) and each
    # activity's coverage (a core one, any other).
    attendance: Weighted
    low_dosage: str | None = None
    marks: Mapping[tuple[int, str], str] = field(default_factory=dict)
    coverage: tuple[Draw, Draw]
    alone: int | None = None  # the session (index) one facilitator ran on their own
    note: tuple[str, int, int]  # the note, on every n-th session from the k-th (index)
    unrecorded: str | None = None  # the cohort whose latest session 2+ days ago is not recorded

    # The visits: whether the group's closures stop them too (otherwise only bank holidays
    # do), the chance one is missed, and how many earlier tasks a late match may complete
    # at one visit.
    closures_stop_visits: bool
    missed: float | None = None
    catch_up: int | None = None
    check_in_note: str
    # Weekly slots planned after every match's check-ins and the endings, rather than each
    # after its own check-ins: only the audit trail's order shows it.
    plans_last: bool = False


# fmt: off
MONDAY = DemoCohort(
    "Monday group", 0, (9, 1), "16:00", "Riverside community centre",
    ("facilitator1@demo.tandem.example.org", "facilitator2@demo.tandem.example.org"),
    [
        DemoChild("DEMO-01", "Amira", 127, "foster", "girl_or_woman", "asian_pakistani",
                  ["english", "urdu"], ["drawing", "baking", "animals"],
                  {"mentor_gender": "girl_or_woman", "same_ethnicity": True}),
        DemoChild("DEMO-02", "Ben", 130, "kinship", "boy_or_man", "white_british", ["english"],
                  ["football", "gaming", "lego"], {}),
        DemoChild("DEMO-03", "Chloe", 123, "residential", "girl_or_woman",
                  "mixed_white_and_black_caribbean", ["english"], ["dancing", "music", "drama"],
                  {"mentor_gender": "girl_or_woman"}),
        DemoChild("DEMO-04", "Dev", 132, "foster", "boy_or_man", "asian_indian",
                  ["english", "panjabi"], ["cricket", "coding", "cycling"], {}),
        DemoChild("DEMO-05", "Ellie", 128, "kinship", "girl_or_woman", "white_british", ["english"],
                  ["swimming", "animals", "reading"], {}),
        DemoChild("DEMO-06", "Femi", 129, "foster", "boy_or_man", "black_african",
                  ["english", "yoruba"], ["football", "music", "drawing"],
                  {"mentor_gender": "boy_or_man"}),
        DemoChild("DEMO-07", "Grace", 125, "other", "girl_or_woman", "black_caribbean", ["english"],
                  ["singing", "baking", "netball"], {"mentor_gender": "girl_or_woman"}),
        DemoChild("DEMO-08", "Hamza", 122, "foster", "boy_or_man", "black_african",
                  ["english", "somali"], ["football", "basketball", "gaming"],
                  {"mentor_gender": "boy_or_man"}, ethnicity_other="Somali"),
        DemoChild("DEMO-09", "Isla", 131, "kinship", "girl_or_woman", "white_other",
                  ["english", "polish"], ["gymnastics", "drawing", "animals"],
                  {"mentor_gender": "girl_or_woman", "languages": ["polish"]},
                  ethnicity_other="Polish"),
    ],
)

# Wednesday started in the summer term and paused for the holidays (further through its 30
# weeks); Thursday started after the October half-term, with seven children, one fewer than
# a group needs.
WEDNESDAY = DemoCohort(
    "Wednesday group", 2, (4, 20), "16:00", "St Anne's church hall",
    ("facilitator3@demo.tandem.example.org", "facilitator4@demo.tandem.example.org"),
    [
        DemoChild("DEMO-10", "Jayden", 124, "foster", "boy_or_man", "black_caribbean", ["english"],
                  ["basketball", "music", "gaming"], {"mentor_gender": "boy_or_man"}),
        DemoChild("DEMO-11", "Keira", 133, "kinship", "girl_or_woman", "white_british", ["english"],
                  ["horses", "drawing", "baking"], {}),
        DemoChild("DEMO-12", "Leo", 118, "foster", "boy_or_man", "white_british", ["english"],
                  ["lego", "dinosaurs", "swimming"], {}),
        DemoChild("DEMO-13", "Maryam", 127, "foster", "girl_or_woman", "asian_bangladeshi",
                  ["english", "bengali"], ["reading", "cooking", "drawing"],
                  {"mentor_gender": "girl_or_woman"}),
        DemoChild("DEMO-14", "Noah", 121, "residential", "boy_or_man",
                  "mixed_white_and_black_african", ["english"],
                  ["football", "drumming", "gaming"], {}),
        DemoChild("DEMO-15", "Olivia", 130, "foster", "girl_or_woman", "white_irish", ["english"],
                  ["singing", "animals", "make-up"], {"mentor_gender": "girl_or_woman"}),
        DemoChild("DEMO-16", "Ravi", 126, "kinship", "boy_or_man", "asian_indian",
                  ["english", "gujarati"], ["cricket", "chess", "science"], {}),
        DemoChild("DEMO-17", "Sofia", 119, "foster", "girl_or_woman", "white_other",
                  ["english", "romanian"], ["gymnastics", "music", "animals"],
                  {"mentor_gender": "girl_or_woman", "languages": ["romanian"]},
                  ethnicity_other="Romanian"),
        DemoChild("DEMO-18", "Tyler", 135, "foster", "boy_or_man", "white_british", ["english"],
                  ["bmx", "football", "fishing"], {}),
        DemoChild("DEMO-19", "Yasmin", 129, "kinship", "girl_or_woman", "asian_pakistani",
                  ["english", "urdu"], ["netball", "baking", "crafts"],
                  {"same_ethnicity": True}),
    ],
)
THURSDAY = DemoCohort(
    "Thursday group", 3, (10, 15), "16:15", "Northfield library",
    ("facilitator5@demo.tandem.example.org", "facilitator6@demo.tandem.example.org"),
    [
        DemoChild("DEMO-20", "Aaliyah", 125, "foster", "girl_or_woman", "black_african",
                  ["english", "twi"], ["dancing", "hair braiding", "music"],
                  {"mentor_gender": "girl_or_woman"}),
        DemoChild("DEMO-21", "Daniel", 131, "residential", "boy_or_man", "white_british",
                  ["english"], ["gaming", "skateboarding", "football"], {}),
        DemoChild("DEMO-22", "Esme", 120, "kinship", "girl_or_woman", "white_british", ["english"],
                  ["animals", "reading", "swimming"], {}),
        DemoChild("DEMO-23", "Kofi", 128, "foster", "boy_or_man", "black_african",
                  ["english", "twi"], ["football", "drawing", "science"],
                  {"mentor_gender": "boy_or_man"}),
        DemoChild("DEMO-24", "Lily", 122, "foster", "girl_or_woman", "mixed_white_and_asian",
                  ["english"], ["crafts", "singing", "cycling"], {}),
        DemoChild("DEMO-25", "Mason", 134, "kinship", "boy_or_man", "white_british", ["english"],
                  ["rugby", "lego", "cooking"], {}),
        DemoChild("DEMO-26", "Zainab", 126, "foster", "girl_or_woman", "black_african",
                  ["english", "somali"], ["basketball", "drawing", "baking"],
                  {"mentor_gender": "girl_or_woman"}, ethnicity_other="Somali"),
    ],
)

# Five ready (one whose DBS check runs out in 40 days, one trained a fortnight ago), one
# without references.
FIRST_MENTORS = (
    DemoMentor("mentor1@demo.tandem.example.org", "boy_or_man", "black_african",
               ["english", "yoruba"], ["football", "music", "cooking", "gaming"], True,
               "Weekday evenings, Saturdays",
               "I grew up in foster care; now I coach an under-11s football team.", 200),
    DemoMentor("mentor2@demo.tandem.example.org", "girl_or_woman", "asian_pakistani",
               ["english", "urdu", "panjabi"], ["drawing", "baking", "animals", "reading"],
               False, "Tuesday and Thursday after school",
               "Art teacher with two cats; I make very good flapjacks.", 260),
    DemoMentor("mentor3@demo.tandem.example.org", "boy_or_man", "asian_indian",
               ["english", "panjabi"], ["cricket", "coding", "cycling", "science"], False,
               "Wednesdays, Sundays", "Software tester who plays cricket every summer weekend.",
               None),
    DemoMentor("mentor4@demo.tandem.example.org", "girl_or_woman", "black_caribbean", ["english"],
               ["dancing", "music", "singing", "netball"], True, "Fridays, Saturday mornings",
               "I was in care myself; I run a street-dance class for teenagers.", 380),
    DemoMentor("mentor5@demo.tandem.example.org", "girl_or_woman", "white_other",
               ["english", "polish"], ["gymnastics", "swimming", "animals", "drawing"], False,
               "Any day after 4pm",
               "Swimming instructor; I grew up in Gdańsk and have a very lazy dog.", 440,
               trained=14, ethnicity_other="Polish"),
    DemoMentor("mentor6@demo.tandem.example.org", "boy_or_man", "white_british", ["english"],
               ["football", "fishing", "lego"], False, "Weekends",
               "Retired postman; I build Lego cities with my grandchildren.", 500,
               references=False),
)
# All ready.
MORE_MENTORS = (
    DemoMentor("mentor7@demo.tandem.example.org", "girl_or_woman", "asian_bangladeshi",
               ["english", "bengali"], ["cooking", "reading", "drawing", "crafts"], False,
               "Weekday afternoons",
               "Primary teaching assistant; I make a mean dal and love comics.", 120),
    DemoMentor("mentor8@demo.tandem.example.org", "boy_or_man", "white_british", ["english"],
               ["football", "fishing", "bmx", "gaming"], True, "Evenings and Saturdays",
               "Care leaver, now a bus driver; I still ride my BMX at the skate park.", 165),
    DemoMentor("mentor9@demo.tandem.example.org", "girl_or_woman", "white_irish", ["english"],
               ["singing", "animals", "horses", "baking"], False,
               "Monday, Tuesday and Friday", "Veterinary nurse who sings in a community choir.",
               210),
    DemoMentor("mentor10@demo.tandem.example.org", "boy_or_man", "asian_indian",
               ["english", "gujarati"], ["cricket", "chess", "science", "basketball"], False,
               "After 4pm, Sundays", "Pharmacist and club cricketer; chess is my secret weapon.",
               255),
    DemoMentor("mentor11@demo.tandem.example.org", "girl_or_woman", "black_african",
               ["english", "twi"], ["dancing", "music", "hair braiding", "reading"], True,
               "Tuesdays, Saturdays",
               "I grew up in kinship care; I teach Afrobeats dance on Saturdays.", 300),
    DemoMentor("mentor12@demo.tandem.example.org", "boy_or_man", "black_african",
               ["english", "twi"], ["football", "drawing", "science", "rugby"], False,
               "Fridays, Sundays", "Engineering student and youth football referee.", 345),
    DemoMentor("mentor13@demo.tandem.example.org", "girl_or_woman", "mixed_white_and_asian",
               ["english"], ["crafts", "cycling", "animals", "swimming"], False,
               "Monday and Wednesday evenings",
               "Librarian with two rescue greyhounds and too many craft supplies.", 390),
    DemoMentor("mentor14@demo.tandem.example.org", "girl_or_woman", "white_other",
               ["english", "romanian"], ["gymnastics", "music", "animals", "baking"], False,
               "Weekdays after 5pm",
               "Physiotherapist from Cluj; I still do a cartwheel at every birthday party.",
               435, ethnicity_other="Romanian"),
)

FIRST_MATCHES = (
    DemoMatch("mentor1@demo.tandem.example.org", "DEMO-02", False, 3, "16:30", 120),
    DemoMatch("mentor1@demo.tandem.example.org", "DEMO-06", True, 6, "10:00", 180),
    DemoMatch("mentor2@demo.tandem.example.org", "DEMO-01", False, 2, "16:00", 150),
    DemoMatch("mentor2@demo.tandem.example.org", "DEMO-05", False, 4, "16:30", 150),
    DemoMatch("mentor3@demo.tandem.example.org", "DEMO-04", False, 3, "17:00", 120,
              Story.overdue),
    DemoMatch("mentor3@demo.tandem.example.org", "DEMO-08", False, 7, "11:00", 150,
              Story.missed),
    DemoMatch("mentor4@demo.tandem.example.org", "DEMO-03", False, 5, "16:00", 150),
    DemoMatch("mentor4@demo.tandem.example.org", "DEMO-07", False, 6, "10:30", 120,
              Story.ends),
)
MORE_MATCHES = (
    DemoMatch("mentor7@demo.tandem.example.org", "DEMO-13", False, 2, "16:30", 150),
    DemoMatch("mentor7@demo.tandem.example.org", "DEMO-19", False, 5, "16:00", 120),
    DemoMatch("mentor8@demo.tandem.example.org", "DEMO-10", True, 6, "10:00", 180),
    DemoMatch("mentor8@demo.tandem.example.org", "DEMO-14", False, 4, "17:00", 120),
    DemoMatch("mentor9@demo.tandem.example.org", "DEMO-11", False, 1, "16:30", 150),
    DemoMatch("mentor9@demo.tandem.example.org", "DEMO-15", False, 5, "16:30", 150),
    DemoMatch("mentor10@demo.tandem.example.org", "DEMO-16", False, 7, "11:00", 150),
    DemoMatch("mentor10@demo.tandem.example.org", "DEMO-12", False, 2, "17:00", 120),
    DemoMatch("mentor11@demo.tandem.example.org", "DEMO-20", True, 6, "11:00", 150,
              Story.concern),
    DemoMatch("mentor11@demo.tandem.example.org", "DEMO-22", False, 2, "16:30", 120),
    DemoMatch("mentor12@demo.tandem.example.org", "DEMO-23", False, 5, "16:30", 150,
              Story.off_sick),
    DemoMatch("mentor12@demo.tandem.example.org", "DEMO-21", False, 7, "13:00", 150),
    DemoMatch("mentor13@demo.tandem.example.org", "DEMO-24", False, 1, "17:00", 150),
    DemoMatch("mentor13@demo.tandem.example.org", "DEMO-26", False, 3, "17:30", 120),
    DemoMatch("mentor14@demo.tandem.example.org", "DEMO-17", False, 2, "17:30", 150,
              Story.recent),
)
# fmt: on

# The Monday group: a few absences, one child (Hamza) away from the last two sessions, one
# session with one facilitator; one match ended, one visit missed, one check-in overdue.
FIRST_WAVE = Wave(
    cohorts=(MONDAY,),
    mentors=FIRST_MENTORS,
    matches=FIRST_MATCHES,
    seed=20260907,
    attendance=Weighted(MARKS, (88, 5, 4, 3)),
    marks={(-2, "DEMO-08"): "absent", (-1, "DEMO-08"): "absent"},
    coverage=("delivered", Chance(0.8, "delivered", "partial")),
    alone=3,
    note=("A settled group; the shared meal ran a little long.", 4, 1),
    closures_stop_visits=True,
    check_in_note="Going well; the carer says visits are the highlight of the week.",
    plans_last=True,
)
# The Wednesday and Thursday groups: a cancelled session, a withdrawn child, a child below
# the dosage threshold, a session not recorded, a match with no visit for two weeks and a
# safeguarding concern. Their mentors carry on through the holidays.
MORE_WAVE = Wave(
    cohorts=(WEDNESDAY, THURSDAY),
    mentors=MORE_MENTORS,
    matches=MORE_MATCHES,
    seed=20260909,
    closure=("Summer holidays", (7, 22), (8, 31)),
    cancelled=(
        "Wednesday group",
        20,
        "A burst pipe flooded the church hall; the lesson moved on a week.",
    ),
    withdrawn=("DEMO-18", 6, "Moved to a foster placement out of the area."),
    attendance=Weighted(MARKS, (84, 5, 7, 4)),
    low_dosage="DEMO-15",
    marks={(1, "DEMO-21"): "absent", (4, "DEMO-26"): "excused"},
    coverage=(Weighted(COVERED, (95, 4, 1)), Weighted(COVERED, (75, 15, 10))),
    note=("Good energy; the role-plays went well.", 5, 2),
    unrecorded="Thursday group",
    closures_stop_visits=False,
    missed=0.07,
    catch_up=40,
    check_in_note="Settled match; the carer says the visits are a good routine.",
)

ENDED_DAYS_AGO = 23
ENDING = (
    EndReason.child_moved,
    EndedBy.social_worker,
    "Grace moved to a foster home across the city, too far for weekly visits. "
    "Her social worker asked us to find a mentor nearer her new home.",
)
VISIT_NOTES = [
    "Walked to the park and back; {name} talked about the group and we practised {task}.",
    "Hot chocolate at the library café. We went over {task} with the group's worksheet.",
    "Football in the park, then a quiet chat on the bench about {task}.",
    "Baked cookies with {name}'s carer's permission; practised {task} while they cooled.",
    "Went swimming. On the bus home {name} showed me {task} without being asked.",
    "Board games at the community centre; we used one round to practise {task}.",
]
MISSED_NOTES = [
    "{name} was at a family contact that ran over; we rearranged for next week.",
    "{name} was unwell with a cold; I dropped off a comic instead.",
    "Nobody was home when I arrived; the carer had forgotten. Rebooked.",
]
MISSED_ONCE_NOTE = (
    "{name} was at a family contact that ran late; we doubled up on practice the week after."
)
OFF_SICK_NOTE = "I was off sick; the lead is looking for cover."
CONCERN_NOTE = (
    "{name} told me an older boy at school has been taking her lunch money and said not to"
    " tell anyone. I reassured her, told her carer, and raised it for the lead today."
)


# The Independent Visitor service (issue 19), beside the FHF-PT groups ---------------------
#
# Every council must offer an Independent Visitor to a looked-after child who would benefit
# (Children Act 1989, s23ZB): a volunteer who visits, befriends and advises, usually once a
# month, for years. The band is per month: at least one visit of an hour (a month with no
# visit is out of band), at most eight hours (two long outings). The law sets no lower age;
# the programme takes children from 5 to 17 and the demo's are 8 to 17. The relationship is
# open-ended in law, but the service hopes each lasts at least two years: with an expected
# length of 24 months an ending before it is an early ending, the kind the mentoring field's
# standards track (an open-ended programme has no early endings to count).
IV_PROGRAMME = "Independent Visitors"
# An FHF-PT mentor who is a visitor too, and an FHF-PT child who has one too.
IV_SHARED_MENTOR = "mentor1@demo.tandem.example.org"
IV_SHARED_CHILD = "DEMO-05"
IV_BAND_HOURS = (1.0, 8.0)  # a month
IV_AGES = (5, 17)
IV_CASELOAD = 2
IV_MATCH_MONTHS = 24


class DemoVisitor(NamedTuple):
    """An Independent Visitor's match: the child (an IV child's reference, or an FHF-PT
    child's), when it began, and when in the month they meet (the n-th such weekday)."""

    mentor: str
    child: str
    started: int  # days before today
    weekday: int  # ISO
    nth: int  # the first, second or third such weekday of the month
    start: str
    minutes: int
    agreed_how: str  # how the child said they wanted a visitor (a week before the start)
    chosen: bool = False  # the child asked for this volunteer
    ends: bool = False  # ended early: ENDED_EARLY


IV_CHILDREN = (
    # `months`: the child's age in months today.
    DemoChild(
        "IV-01",
        "Callum",
        196,
        "residential",
        "boy_or_man",
        "white_british",
        ["english"],
        ["motorbikes", "gaming", "cooking"],
        {"mentor_gender": "boy_or_man"},
    ),
    DemoChild(
        "IV-02",
        "Tomasz",
        149,
        "foster",
        "boy_or_man",
        "white_other",
        ["english", "polish"],
        ["football", "lego", "science"],
        {},
        ethnicity_other="Polish",
    ),
    DemoChild(
        "IV-03",
        "Precious",
        161,
        "foster",
        "girl_or_woman",
        "black_african",
        ["english", "yoruba"],
        ["singing", "hair braiding", "reading"],
        {"mentor_gender": "girl_or_woman"},
    ),
    DemoChild(
        "IV-04",
        "Ruby",
        208,
        "residential",
        "girl_or_woman",
        "mixed_white_and_black_caribbean",
        ["english"],
        ["art", "music", "cooking"],
        {"mentor_gender": "girl_or_woman"},
    ),
    DemoChild(
        "IV-05",
        "Hollie",
        101,
        "foster",
        "girl_or_woman",
        "white_british",
        ["english"],
        ["animals", "drawing", "swimming"],
        {},
    ),
    DemoChild(
        "IV-06",
        "Jamal",
        183,
        "foster",
        "boy_or_man",
        "black_caribbean",
        ["english"],
        ["football", "music", "gaming"],
        {"mentor_gender": "boy_or_man"},
    ),
    DemoChild(
        "IV-07",
        "Reece",
        170,
        "kinship",
        "boy_or_man",
        "white_british",
        ["english"],
        ["fishing", "bmx", "cooking"],
        {},
    ),
)
IV_MENTORS = (
    DemoMentor(
        "visitor1@demo.tandem.example.org",
        "boy_or_man",
        "white_british",
        ["english"],
        ["motorbikes", "football", "cooking", "fishing"],
        False,
        "Saturdays",
        "Retired fire fighter; I restore old motorbikes and make a decent curry.",
        520,
    ),
    DemoMentor(
        "visitor2@demo.tandem.example.org",
        "girl_or_woman",
        "black_african",
        ["english", "yoruba"],
        ["singing", "art", "reading", "cooking"],
        True,
        "Sunday afternoons",
        "I grew up in foster care; now I sing in a gospel choir and paint.",
        610,
    ),
    DemoMentor(
        "visitor3@demo.tandem.example.org",
        "girl_or_woman",
        "white_other",
        ["english", "spanish"],
        ["animals", "swimming", "drawing", "baking"],
        False,
        "Weekends",
        "Dog groomer from Valencia; I bake for every birthday I hear of.",
        480,
        ethnicity_other="Spanish",
    ),
    DemoMentor(
        "visitor4@demo.tandem.example.org",
        "boy_or_man",
        "asian_bangladeshi",
        ["english", "bengali"],
        ["fishing", "cooking", "bmx", "gaming"],
        False,
        "Saturday mornings",
        "Chef at a hospital kitchen; I fish the canal most Sundays.",
        300,
    ),
)
# fmt: off
IV_MATCHES = (
    DemoVisitor("visitor1@demo.tandem.example.org", "IV-01", 355, 6, 1, "11:00", 180,
                "Told his social worker at his review he wanted someone outside the system."),
    DemoVisitor("visitor1@demo.tandem.example.org", "IV-02", 330, 6, 3, "13:00", 150,
                "Said yes when his social worker explained what a visitor does.", ends=True),
    DemoVisitor("visitor2@demo.tandem.example.org", "IV-03", 340, 7, 1, "14:00", 180,
                "Asked her independent reviewing officer for a visitor."),
    DemoVisitor("visitor2@demo.tandem.example.org", "IV-04", 360, 7, 3, "13:30", 180,
                "Asked for one herself through her advocate."),
    DemoVisitor("visitor3@demo.tandem.example.org", "IV-05", 300, 6, 2, "10:30", 150,
                "Drew a picture of 'a grown-up friend' with her social worker and said yes."),
    # Ellie, in the Monday group with a mentor, has a visitor too.
    DemoVisitor("visitor3@demo.tandem.example.org", "DEMO-05", 120, 7, 2, "11:00", 120,
                "Told her carer and social worker she would like a visitor of her own."),
    # Mo, an FHF-PT mentor, is also an Independent Visitor.
    DemoVisitor("mentor1@demo.tandem.example.org", "IV-06", 150, 7, 4, "14:00", 180,
                "Met Mo at a football day and asked if he could be his visitor.", chosen=True),
    DemoVisitor("visitor4@demo.tandem.example.org", "IV-07", 250, 6, 2, "09:30", 180,
                "Said yes at his looked-after review, with his nan there."),
)
# fmt: on
IV_SEED = 20270310
# One in twelve visits missed, one in fifteen called off (and rebooked a week later).
IV_MISSED = 1 / 12
IV_CANCELLED = 1 / 15
ENDED_EARLY_DAYS_AGO = 120
ENDED_EARLY = (
    EndReason.child_request,
    EndedBy.young_person,
    "Tomasz said he would rather spend Saturdays with his new football team. He knows he "
    "can ask for a visitor again at any time.",
)
IV_VISIT_NOTES = [
    "Lunch at the café by the market; {name} chose, and talked about school and friends.",
    "A walk round the lake and chips after. {name} wants to try the climbing wall next time.",
    "Cinema, then a milkshake. {name} told me about a review coming up and what to say there.",
    "Visited the museum; {name} spent an hour in the natural history rooms.",
    "Cooked pasta together at the family centre's kitchen; {name} wrote the recipe down.",
    "Bowling, then a long chat in the car park about what {name} wants for next year.",
]
IV_MISSED_NOTES = [
    "{name} was not in when I arrived; the carer had taken them to a cousin's. Next month.",
    "{name} was unwell; I sent a card instead.",
]
IV_CALLED_OFF = [
    ("carer", "A family birthday the carer had forgotten: rebooked for the next weekend."),
    ("child", "{name} had a school trip that day: rebooked for the next weekend."),
    ("mentor", "My car broke down: rebooked for the next weekend."),
]
IV_CHECK_IN_NOTE = "Monthly supervision call with the visitor; going well."
