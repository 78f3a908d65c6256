"""The pools the scale seeder draws names, places, reasons and notes from, and the
propensities that make some children come more often and some matches visit more."""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Aaliyah Aaron Abdul Adam Aisha Alfie Amelia Amir Archie Ava Bella Ben Callum Chloe "
    "Daisy Daniel Dylan Ella Emily Ethan Evie Faith Freddie George Grace Hamza Harry Isla "
    "Isaac Jack Jacob Jade Jayden Kai Kayla Leo Lily Logan Mia Mohammed Nathan Noah "
    "Olivia Oscar Poppy Riley Rosie Ruby Ryan Sam Sofia Theo Tyler Zara Zain"
)
LAST_NAMES = _words(
    "Ahmed Baker Brown Campbell Clarke Davies Edwards Evans Green Hall Hughes Hussain "
    "Jackson Jones Khan Lewis Martin Morris Nowak Okafor Patel Roberts Robinson Shah "
    "Smith Taylor Thomas Walker White Williams Wilson Wright"
)
# Keys of the controlled lists (app/children/lists.py), as the API takes them.
ETHNICITIES = (
    "white_british",
    "white_british",
    "white_british",
    "white_irish",
    "white_other",
    "black_african",
    "black_caribbean",
    "asian_pakistani",
    "asian_indian",
    "asian_bangladeshi",
    "mixed_white_and_black_caribbean",
    "mixed_white_and_asian",
    "white_gypsy_or_irish_traveller",
    "arab",
)
SECOND_LANGUAGES = ("urdu", "polish", "panjabi", "somali", "arabic", "romanian", "welsh")
GENDERS = ("girl_or_woman", "boy_or_man")
INTERESTS = _words(
    "football art drawing baking animals music dancing gaming lego swimming cycling "
    "reading coding cricket netball drama singing basketball gymnastics cooking"
)
VENUES = (
    "community centre",
    "family hub",
    "youth club",
    "library meeting room",
    "primary school hall",
    "leisure centre studio",
)
TOWNS = _words(
    "Ashford Barnsley Bolton Bradford Bristol Coventry Derby Doncaster Exeter Gateshead "
    "Hull Ipswich Leeds Leicester Luton Norwich Oldham Plymouth Preston Reading Salford "
    "Sheffield Stockport Sunderland Swindon Telford Wakefield Walsall Wigan York"
)
CANCEL_REASONS = (
    "Venue unavailable",
    "Both facilitators ill",
    "Heating failed at the venue",
    "Snow: schools closed",
    "Too few children able to come",
)
WITHDRAW_REASONS = (
    ("Moved placement out of the area", "child_moved", "social_worker"),
    ("Did not want to keep coming", "child_request", "young_person"),
    ("Carer asked to stop", "other", "carer"),
)
ABSENCE_NOTES = ("Contact with birth family", "Unwell", "Medical appointment", None, None)
SESSION_NOTES = (
    "Good energy; the role play ran long.",
    "Two children needed time in the calm corner.",
    "Meal was late, so the closing circle was short.",
    None,
    None,
    None,
    None,
    None,
)
VISIT_SUMMARIES = (
    "Went to the park and practised this week's skill.",
    "Baked together; talked through the practice card.",
    "Library visit; used the feelings thermometer on the way home.",
    "Played football and went over the problem-solving steps.",
    "Quiet visit at home; finished the practice task together.",
)
ATTENDANCE_PROPENSITY = (0.97, 0.95, 0.93, 0.9, 0.88, 0.85, 0.8, 0.7, 0.55)
VISIT_PROPENSITY = (0.97, 0.95, 0.92, 0.9, 0.88, 0.8, 0.5)
