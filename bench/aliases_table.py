"""Write `rasid/data/aliases.json`: the short hand-written table of aliases every reader knows.

    .venv/bin/python bench/aliases_table.py [OUT]

Countries with their names and descriptive aliases (المملكة، السلطنة), capitals and «العاصمة X»,
and the Saudi king's title. Read by `rasid.understand.aliases`; the product never imports this.
"""

import json
import sys
from pathlib import Path

# names: ways of writing the place itself; aliases: descriptive names every reader knows. "the
# Kingdom" alone is Saudi Arabia's in Saudi news; other kingdoms are named in full.
C = [
    ("Saudi Arabia", ["السعودية", "المملكة العربية السعودية", "السعوديه"], ["المملكة", "بلاد الحرمين"]),
    ("Riyadh", ["الرياض"], ["العاصمة السعودية"]),
    ("Oman", ["عمان", "سلطنة عمان", "عُمان"], ["السلطنة"]),
    ("Muscat", ["مسقط"], ["العاصمة العمانية"]),
    ("United Arab Emirates", ["الإمارات", "الإمارات العربية المتحدة", "دولة الإمارات", "الامارات"], []),
    ("Abu Dhabi", ["أبوظبي", "أبو ظبي"], ["العاصمة الإماراتية"]),
    ("Qatar", ["قطر", "دولة قطر"], []),
    ("Doha", ["الدوحة"], ["العاصمة القطرية"]),
    ("Kuwait", ["الكويت", "دولة الكويت"], []),
    ("Bahrain", ["البحرين", "مملكة البحرين"], []),
    ("Manama", ["المنامة"], ["العاصمة البحرينية"]),
    ("Jordan", ["الأردن", "المملكة الأردنية الهاشمية", "المملكة الأردنية"], []),
    ("Morocco", ["المغرب", "المملكة المغربية"], []),
    ("Rabat", ["الرباط"], ["العاصمة المغربية"]),
    ("United Kingdom", ["بريطانيا", "المملكة المتحدة", "بريطانيا العظمى"], []),
    ("London", ["لندن"], ["العاصمة البريطانية"]),
    (
        "United States",
        ["الولايات المتحدة", "الولايات المتحدة الأمريكية", "الولايات المتحدة الأميركية", "أمريكا", "أميركا"],
        [],
    ),
    ("Washington", ["واشنطن"], ["العاصمة الأمريكية", "العاصمة الأميركية"]),
    ("Egypt", ["مصر", "جمهورية مصر العربية"], []),
    ("Cairo", ["القاهرة"], ["العاصمة المصرية"]),
    ("Yemen", ["اليمن", "الجمهورية اليمنية"], []),
    ("Sanaa", ["صنعاء"], ["العاصمة اليمنية"]),
    ("Syria", ["سوريا", "سورية", "الجمهورية العربية السورية"], []),
    ("Damascus", ["دمشق"], ["العاصمة السورية"]),
    ("Iraq", ["العراق", "جمهورية العراق"], []),
    ("Baghdad", ["بغداد"], ["العاصمة العراقية"]),
    ("Iran", ["إيران", "ايران", "الجمهورية الإسلامية الإيرانية"], []),
    ("Tehran", ["طهران"], ["العاصمة الإيرانية"]),
    ("Russia", ["روسيا", "روسيا الاتحادية"], []),
    ("Moscow", ["موسكو"], ["العاصمة الروسية"]),
    ("Turkey", ["تركيا", "الجمهورية التركية"], []),
    ("Ankara", ["أنقرة"], ["العاصمة التركية"]),
    ("Lebanon", ["لبنان", "الجمهورية اللبنانية"], []),
    ("Beirut", ["بيروت"], ["العاصمة اللبنانية"]),
    ("Israel", ["إسرائيل", "اسرائيل"], ["الدولة العبرية"]),
    ("France", ["فرنسا", "الجمهورية الفرنسية"], []),
    ("Paris", ["باريس"], ["العاصمة الفرنسية"]),
    ("Germany", ["ألمانيا", "المانيا"], []),
    ("Berlin", ["برلين"], ["العاصمة الألمانية"]),
    ("China", ["الصين", "جمهورية الصين الشعبية"], []),
    ("Beijing", ["بكين"], ["العاصمة الصينية"]),
    ("North Korea", ["كوريا الشمالية", "جمهورية كوريا الديمقراطية الشعبية"], []),
    ("Pyongyang", ["بيونغ يانغ", "بيونغيانغ"], ["العاصمة الكورية الشمالية"]),
    ("Tunisia", ["تونس", "الجمهورية التونسية"], []),
    ("Algeria", ["الجزائر", "الجمهورية الجزائرية"], []),
    ("Sudan", ["السودان"], []),
    ("Khartoum", ["الخرطوم"], ["العاصمة السودانية"]),
    ("Libya", ["ليبيا"], []),
    ("Tripoli", ["طرابلس"], ["العاصمة الليبية"]),
    ("Pakistan", ["باكستان"], []),
    ("Islamabad", ["إسلام آباد"], ["العاصمة الباكستانية"]),
    ("Afghanistan", ["أفغانستان"], []),
    ("Kabul", ["كابول"], ["العاصمة الأفغانية"]),
    ("Japan", ["اليابان"], []),
    ("Tokyo", ["طوكيو"], ["العاصمة اليابانية"]),
]
P = [
    (
        "King Salman",
        [
            "سلمان بن عبدالعزيز",
            "سلمان بن عبد العزيز",
            "سلمان بن عبدالعزيز آل سعود",
            "سلمان بن عبد العزيز آل سعود",
            "الملك سلمان",
        ],
        ["خادم الحرمين الشريفين"],
    ),
]
out = {
    "about": "Aliases every reader of Arabic news knows: a country's names and its descriptive names "
    "(the Kingdom, the Sultanate), a capital and «العاصمة X», the reigning Saudi king's title (2015 on). "
    "Written by hand; a short list, not a gazetteer.",
    "places": [{"name": n, "type": "LOC", "names": names, "aliases": al} for n, names, al in C]
    + [{"name": n, "type": "PER", "names": names, "aliases": al} for n, names, al in P],
}
target = (
    Path(sys.argv[1])
    if len(sys.argv) > 1
    else Path(__file__).resolve().parent.parent / "src/rasid/data/aliases.json"
)
target.write_text(json.dumps(out, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
