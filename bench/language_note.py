"""Does `conditioning.language.other_language` (the English voices' language note, the text critic's refusal)
tell another language from English? On real sentences and on
lines written for it, beside the rule it replaced (the baseline, in the same run).

    python bench/language_note.py [--show]

The note is for an English voice (Piper's joe, Festival's slt) given a text in another language, which it reads
with English sounds. Sets: the ten German sentences of EmoDB (Burkhardt et al. 2005); the first sentence of
article 1 of the Universal Declaration of Human Rights in 16 Latin-script languages; 20 Harvard sentences (IEEE
1969, lists 1 and 2: terse English with few function words, the hard case for a word-share rule); the speech
benches' sentences (`bench/critics_agreement.py`); 30 English lines and 30 short lines in 16 other languages,
written for this bench on 2026-12-05 (dialogue, headlines, telegraphic notes, English lines full of foreign
names). The baseline is the rule before: six words or more, at most one in eight a common English word.
`--show` prints every text either rule gets wrong. Takes about 3 s.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GERMAN_EMODB = [
 "Der Lappen liegt auf dem Eisschrank.", "Das will sie am Mittwoch abgeben.", "Heute abend könnte ich es ihm sagen.",
 "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.", "In sieben Stunden wird es soweit sein.",
 "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
 "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
 "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
 "Ich will das eben wegbringen und dann mit Karl was trinken gehen.", "Die wird auf dem Platz sein, wo wir sie immer hinlegen."]
UDHR = {
 "de": "Alle Menschen sind frei und gleich an Würde und Rechten geboren.",
 "fr": "Tous les êtres humains naissent libres et égaux en dignité et en droits.",
 "es": "Todos los seres humanos nacen libres e iguales en dignidad y derechos.",
 "it": "Tutti gli esseri umani nascono liberi ed eguali in dignità e diritti.",
 "pt": "Todos os seres humanos nascem livres e iguais em dignidade e em direitos.",
 "nl": "Alle mensen worden vrij en gelijk in waardigheid en rechten geboren.",
 "sv": "Alla människor är födda fria och lika i värde och rättigheter.",
 "da": "Alle mennesker er født frie og lige i værdighed og rettigheder.",
 "pl": "Wszyscy ludzie rodzą się wolni i równi pod względem swej godności i swych praw.",
 "cs": "Všichni lidé rodí se svobodní a sobě rovní co do důstojnosti a práv.",
 "fi": "Kaikki ihmiset syntyvät vapaina ja tasavertaisina arvoltaan ja oikeuksiltaan.",
 "tr": "Bütün insanlar hür, haysiyet ve haklar bakımından eşit doğarlar.",
 "id": "Semua orang dilahirkan merdeka dan mempunyai martabat dan hak-hak yang sama.",
 "ro": "Toate ființele umane se nasc libere și egale în demnitate și în drepturi.",
 "no": "Alle mennesker er født frie og med samme menneskeverd og menneskerettigheter.",
 "hu": "Minden emberi lény szabadon születik és egyenlő méltósága és joga van.",
}
HARVARD = [
 "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
 "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
 "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
 "The box was thrown beside the parked truck.", "The hogs were fed chopped corn and garbage.",
 "Four hours of steady work faced us.", "A large size in stockings is hard to sell.",
 "The boy was there when the sun rose.", "A rod is used to catch pink salmon.",
 "The source of the huge river is the clear spring.", "Kick the ball straight and follow through.",
 "Help the woman get back to her feet.", "A pot of tea helps to pass the evening.",
 "Smoky fires lack flame and heat.", "The soft cushion broke the man's fall.",
 "The salt breeze came across from the sea.", "The girl at the booth sold fifty bonds.",
]
ENGLISH_LINES = [
 "Meeting postponed until further notice, sorry everyone.", "Great job team, quarterly numbers exceeded expectations again.",
 "Oh no, not again, please tell me you're joking!", "We had croissants at a little café in Montréal last spring.",
 "Turn left at the roundabout, then take the second exit.", "Wow, what an absolutely incredible performance tonight!",
 "Fresh bread, cheese, olives and wine for the picnic.", "Captain Alvarez reported heavy rain near Santiago.",
 "Sorry, wrong number, I was looking for Gustav Müller.", "Breaking news: storm warnings issued across northern regions.",
 "Quick, grab the umbrella before the taxi leaves!", "Vacation photos uploaded, check the shared album later.",
 "I can't believe you actually remembered my birthday.", "Nobody told me the exam started at eight.",
 "Stop shouting, the baby finally fell asleep upstairs.", "Chapter three: Darkness falls upon Ravenwood Castle.",
 "Hands up! Drop the weapon and step away slowly.", "Hmm, interesting theory, though rather hard to prove.",
 "Dinner's ready, wash your hands and sit down.", "Flight delayed twelve hours, airline offering meal vouchers.",
 "Absolutely gorgeous sunset over Lake Geneva tonight.", "Tickets sold out within minutes, fans furious online.",
 "Thank you so much for coming all this way.", "Please remain seated until the seatbelt sign is off.",
 "Lovely weather, perfect for gardening and long walks.", "Mozart's Requiem, performed by the Vienna Philharmonic orchestra.",
 "Guten Tag is what Klaus said, smiling warmly.", "Spaghetti carbonara, tiramisu and espresso, molto bene!",
 "Warning: battery critically low, connect charger immediately.", "Unbelievable! Seven goals in ninety minutes, historic night.",
]
FOREIGN_SHORT = [
 ("de", "Kannst du mir bitte das Salz geben?"), ("de", "Ich habe keine Zeit für so etwas."),
 ("de", "Wir sehen uns morgen früh im Büro."), ("de", "Das ist wirklich eine schöne Überraschung!"),
 ("fr", "Je ne sais pas quoi faire maintenant."), ("fr", "Il fait très beau aujourd'hui à Paris."),
 ("fr", "Tu as vu mon téléphone quelque part?"), ("fr", "Nous partons en vacances la semaine prochaine."),
 ("es", "No me gusta nada esta situación, de verdad."), ("es", "Mañana vamos a la playa con los niños."),
 ("es", "Me alegro mucho de verte otra vez."), ("es", "¿Quieres tomar un café conmigo esta tarde?"),
 ("it", "Non ho capito niente di quello che hai detto."), ("it", "Domani sera andiamo al cinema insieme."),
 ("it", "Mi piace molto questa città antica."), ("pt", "Eu não sei onde deixei as minhas chaves."),
 ("pt", "Vamos almoçar juntos no sábado que vem?"), ("nl", "Ik heb vandaag heel hard gewerkt op kantoor."),
 ("nl", "Wil je morgen met ons mee naar zee?"), ("sv", "Jag vet inte vad jag ska göra nu."),
 ("pl", "Nie wiem, co mam teraz zrobić z tym."), ("cs", "Dnes je opravdu krásné počasí venku."),
 ("tr", "Bugün hava çok güzel, dışarı çıkalım mı?"), ("id", "Saya tidak tahu harus berbuat apa sekarang."),
 ("da", "Jeg ved ikke hvad jeg skal gøre nu."), ("fi", "En tiedä mitä minun pitäisi nyt tehdä."),
 ("ro", "Nu știu ce să fac acum, sincer."), ("hu", "Nem tudom, mit kellene most csinálnom."),
 ("es", "Ella me dijo que no iba a venir hoy."), ("de", "Was will er denn so spät am Abend noch hier?"),
]


def before(text: str) -> bool:
    """The baseline: noted when at most one word in eight of six or more is a common English word."""
    from conditioning.language import MIN_WORDS, common_english_share, words_of

    words = words_of(text)
    return len(words) >= MIN_WORDS and common_english_share(words) <= 1 / 8


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--show", action="store_true", help="print every text a rule gets wrong")
    args = ap.parse_args(argv)
    from bench.critics_agreement import SENTENCES
    from conditioning.language import other_language

    sets = [("EmoDB's German sentences", GERMAN_EMODB, True), ("UDHR article 1, 16 languages", list(UDHR.values()), True),
            ("short lines, 16 languages", [t for _, t in FOREIGN_SHORT], True), ("Harvard sentences", HARVARD, False),
            ("the benches' sentences", SENTENCES, False), ("English lines", ENGLISH_LINES, False)]
    doc = {}
    print(f"{'set':<30} {'texts':>5}  {'noted now':>9}  {'before':>6}")
    for name, texts, foreign in sets:
        now = [other_language(t) is not None for t in texts]
        old = [before(t) for t in texts]
        doc[name] = {"texts": len(texts), "foreign": foreign, "noted": sum(now), "noted_before": sum(old)}
        print(f"{name:<30} {len(texts):>5}  {sum(now):>9}  {sum(old):>6}   ({'should all be' if foreign else 'should none be'} noted)")
        if args.show:
            for t, n, o in zip(texts, now, old):
                if n != foreign or o != foreign:
                    print(f"    now {'noted' if n else '-    '}  before {'noted' if o else '-    '}  {t}")
    for foreign in (True, False):
        rows = [d for d in doc.values() if d["foreign"] is foreign]
        n = sum(d["texts"] for d in rows)
        now, old = sum(d["noted"] for d in rows), sum(d["noted_before"] for d in rows)
        if foreign:
            print(f"other languages: {now} of {n} noted (before {old})")
        else:
            print(f"English: {now} of {n} noted wrongly (before {old})")
    return doc


if __name__ == "__main__":
    main()
