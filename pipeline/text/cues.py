"""Cue phrases of Swedish project prose, as plain data (regular-expression sources, matched
case-insensitively with word boundaries by the caller, e.g. ``re.compile(rf"\\b(?:{AIM})\\b", re.I)``).
"""

from __future__ import annotations

# The sentence states an aim or a target group: "Syftet är ...", "Målgruppen är ...", "riktar sig till ...".
AIM = (
    r"syfte[tn]?|målet|målen|mål(?:grupp|sättning)\w*|övergripande mål|riktar sig|vänder sig|"
    r"ska\s+(?:ge|hjälpa|stödja|öka|minska|stärka|utveckla|motverka|främja|skapa)|deltagarna\s+(?:är|var)"
)
# The sentence commits the project to something: a plan, an aim or an action ("ska", "kommer att", "syftar",
# "målet", "främja", "arbetar med" ...). With a theme's term in the same sentence, the theme is something the
# project does rather than context.
COMMITMENT = (
    r"ska|skall|kommer att|syfte\w*|syftar|mål\w*|främja|öka|stärka|arbeta[rt]? (?:med|för)|bidra till|inriktat|fokus"
)
# Who the project is for.
TARGET_GROUP = (
    r"riktar sig|vänder sig|målgrupp\w*|deltagar\w*|"
    r"för (?:unga|kvinnor|personer|anställda|arbetslösa|nyanlända|elever)"
)
# The project itself is the subject of the sentence.
PROJECT_SUBJECT = r"projektet|projekt\w* (?:ska|skall|kommer|vill|syftar|har)"
# Working together with others.
COOPERATION = r"samverka\w*|tillsammans med|i samarbete med|samarbeta\w*|driv(?:s|er) av"
# Verbs that attribute a quote to a speaker (news): "..., säger Anna".
QUOTE_VERBS = r"säger|sade|sa|berättar|menar|konstaterar|förklarar|understryker|påpekar|tycker"
