"""Does `conditioning.language.other_language` (the English voices' language note, the text critic's refusal)
tell another language from English? On real sentences and on lines written for it, beside two baselines in the
same run: langid.py alone (the rule from 2026-12-05 until the names check, `plain_words`, was added the same day)
and the word-share rule before it.

    python bench/language_note.py [--show]

The note is for an English voice (Piper's joe, Festival's slt) given a text in another language, which it reads
with English sounds. Sets: the ten German sentences of EmoDB (Burkhardt et al. 2005); the first sentence of
article 1 of the Universal Declaration of Human Rights in 16 Latin-script languages; 20 Harvard sentences (IEEE
1969, lists 1 and 2: terse English with few function words, the hard case for a word-share rule); the speech
benches' sentences (`bench/critics_agreement.py`); 30 English lines and 30 short lines in 16 other languages,
written for this bench on 2026-12-05 (dialogue, headlines, telegraphic notes, English lines full of foreign
names); 50 English lines full of foreign names, dishes and words and 49 everyday lines in 17 other languages,
written later that day (see `ENGLISH_NAMED`: the names check was tried after the first 30 and 28 of them, the
last 20 and 21 were written once it was fixed, so they are its held-out test). `--show` prints every text a rule
gets wrong. Takes about 3 s.
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


#: English lines full of foreign names, dishes and words, written on 2026-12-05 after the English lines above had
#: shown the case: the first 30 before the names check (`plain_words`) was tried, the last 20 after it was fixed
ENGLISH_NAMED = [
 'Our guide in Kraków was a cheerful woman called Zofia Wiśniewska.',
 "The soloist tonight is Jean-Pierre Rampal's former student from Lyon.",
 'I ordered the paella and a glass of Rioja at Casa Lucía.',
 'Dr. Okonkwo and Professor Nakamura will chair the morning session.',
 'They drove from Zürich to Garmisch-Partenkirchen in heavy snow.',
 'She wore a dirndl to the Oktoberfest in München last year.',
 'Grab some baguettes, brie and a bottle of Côtes du Rhône.',
 'The café on Rue Saint-Honoré serves the best croque monsieur.',
 "My grandmother's schnitzel and sauerkraut were famous in Milwaukee.",
 'Señor Gutiérrez arrived late, apologising for the traffic in Guadalajara.',
 'We watched the sunset over the fjord near Ålesund and Geiranger.',
 'The new sushi place downtown does excellent sashimi and miso soup.',
 'Björn and Sigríður are flying in from Reykjavík on Thursday.',
 'Her thesis compared Goethe, Schiller and Hölderlin in translation.',
 'Pass me the jalapeños, the guacamole and the tortilla chips.',
 'The orchestra played Dvořák, Smetana and Janáček after the interval.',
 'Giuseppe ordered a cappuccino, a cornetto and a glass of acqua frizzante.',
 'The festival in Saint-Étienne-de-Baïgorry was loud and crowded.',
 'Matías scored twice before halftime at the Estadio Azteca.',
 'We stayed at a ryokan in Kyōto and visited Kinkaku-ji.',
 'The menu had bratwurst, pretzels, strudel and a stein of Weißbier.',
 'Frau Schmidt from the Hamburg office called about the Düsseldorf contract.',
 'He quoted Camus, Sartre and Simone de Beauvoir all evening.',
 'Ingrid and Lars met at a smörgåsbord party in Göteborg.',
 'The tapas bar near Plaza Mayor was packed with tourists.',
 'Our cat, Señorita Mimí, sleeps all day on the chaise longue.',
 'Rafael Nadal beat Novak Đoković in four sets at Roland-Garros.',
 'Bring the crème brûlée, the éclairs and the macarons to the party.',
 'The film by Almodóvar was screened at the Cinémathèque française.',
 'Stanisław Lem and Kazimierz Wierzyński were on the reading list.',
 'Chef Ramón López makes the best empanadas in San Antonio.',
 'We toasted with champagne and ate foie gras at Château Margaux.',
 'Jürgen Klopp thanked the fans at Anfield after the final whistle.',
 'My neighbour Françoise brought over a quiche lorraine and some pâté.',
 'The conductor, Herbert von Karajan, recorded Beethoven with Deutsche Grammophon.',
 'I learned to make pierogi from my aunt Bożena in Gdańsk.',
 'The hostel in São Paulo was cheap but the feijoada was great.',
 'Mohammed and Aïsha opened a small bakery near Place de la République.',
 'They hiked from Chamonix to Zermatt along the Haute Route.',
 'The critic praised Pedro Páramo and Cien años de soledad.',
 'Order the bibimbap, kimchi jjigae and a bottle of soju for the table.',
 'Tomás and Inés got married in a small chapel outside Sevilla.',
 'Our tour covered Neuschwanstein, Hohenschwangau and the Zugspitze in two days.',
 'The sommelier suggested a Gewürztraminer with the choucroute garnie.',
 'Anneliese Müller-Lüdenscheid retired from the Frankfurt office this spring.',
 'Pablo Picasso and Joan Miró both lived in Barcelona for a while.',
 'The smorgasbord at Ikea had meatballs, herring and lingonberry jam.',
 'Václav Havel was president of Czechoslovakia and later the Czech Republic.',
 'Déjà vu hit me when I walked into that café in Québec.',
 'The rally drivers raced through Jyväskylä, Sébastien Loeb leading the pack.',
]

#: Everyday lines in 17 other languages written with them: 28 before the names check was tried, then 21 after it was
#: fixed, with names and English loanwords in them ("Ich habe morgen ein Meeting mit dem Team in Berlin.")
FOREIGN_NAMED = [
 ('de', 'Gestern Abend hat mein Bruder den ganzen Kuchen aufgegessen.'),
 ('de', 'Die Kinder spielen im Garten, während die Eltern Kaffee trinken.'),
 ('de', 'Wir müssen morgen früh zum Bahnhof fahren.'),
 ('fr', 'Je ne sais pas pourquoi il est parti si tôt hier soir.'),
 ('fr', 'Nous avons mangé une excellente tarte aux pommes chez ma tante.'),
 ('fr', 'Elle a oublié son parapluie dans le métro ce matin.'),
 ('es', 'Mañana vamos a visitar a mis abuelos en el pueblo.'),
 ('es', 'No encuentro las llaves del coche por ninguna parte.'),
 ('es', 'El perro del vecino ladra toda la noche sin parar.'),
 ('it', 'Stasera andiamo a cena da mia sorella con i bambini.'),
 ('it', 'Non ho dormito bene perché faceva troppo caldo.'),
 ('it', 'Il treno per Firenze è in ritardo di venti minuti.'),
 ('pt', 'Amanhã vou ao mercado comprar frutas e legumes frescos.'),
 ('pt', 'A minha irmã mora em Lisboa há cinco anos.'),
 ('nl', 'Ik heb vandaag geen zin om naar mijn werk te gaan.'),
 ('nl', 'De fiets van mijn broer staat nog steeds in de schuur.'),
 ('sv', 'Vi ska åka till stugan i helgen om vädret är fint.'),
 ('sv', 'Jag har glömt min telefon hemma på köksbordet.'),
 ('pl', 'Jutro rano idę do lekarza, bo boli mnie gardło.'),
 ('pl', 'Moja mama upiekła wczoraj pyszne ciasto z jabłkami.'),
 ('cs', 'Zítra pojedeme vlakem do Brna navštívit babičku.'),
 ('fi', 'Huomenna menemme mökille, jos sää on hyvä.'),
 ('tr', 'Yarın sabah erkenden işe gitmem gerekiyor, çok yorgunum.'),
 ('hu', 'Holnap reggel korán kell kelnem, mert vizsgám lesz.'),
 ('ro', 'Mâine dimineață mergem la piață să cumpărăm legume.'),
 ('da', 'Vi skal i biografen i aften med vores venner.'),
 ('id', 'Besok pagi saya akan pergi ke pasar bersama ibu.'),
 ('ca', 'Demà al matí anirem a la platja amb els nens.'),
 ('de', 'Ich habe morgen ein Meeting mit dem Team in Berlin.'),
 ('de', 'Unser Hund Bello hat heute Nacht die ganze Wurst gefressen.'),
 ('de', 'Die Sonne scheint, und alle Leute sitzen draußen im Park.'),
 ('de', 'Frau Müller hat ihren Schlüssel wieder im Büro vergessen.'),
 ('fr', "J'ai vu Michael Jackson en concert à New York en 1992."),
 ('fr', 'Le Président Macron a parlé à la télévision hier soir.'),
 ('fr', 'On va au cinéma ce week-end avec Pierre et Marie.'),
 ('es', 'Ayer fuimos al concierto de Shakira en Buenos Aires.'),
 ('es', 'Mi hermano trabaja en Google desde hace tres años.'),
 ('it', 'Domenica andiamo allo stadio a vedere la Juventus.'),
 ('it', 'Mia nonna prepara sempre le lasagne per Natale.'),
 ('pt', 'O jogo do Benfica começa às oito da noite.'),
 ('nl', 'We gaan zaterdag met de kinderen naar Amsterdam.'),
 ('pl', 'Wczoraj wieczorem oglądaliśmy film w telewizji z rodziną.'),
 ('pl', 'Święta Bożego Narodzenia spędzimy u dziadków w Zakopanem.'),
 ('cs', 'Příští týden jedeme s rodinou na hory do Krkonoš.'),
 ('vi', 'Hôm nay trời đẹp quá, chúng ta đi dạo công viên nhé.'),
 ('sv', 'Min mormor bakar alltid kanelbullar på söndagar.'),
 ('tr', "Bu akşam arkadaşlarımla İstanbul'da yemeğe çıkacağım."),
 ('hu', 'A szomszédunk kutyája egész éjjel ugatott az udvarban.'),
 ('ro', 'Vara aceasta mergem în vacanță la mare cu prietenii.'),
]


#: Technical English (medicine, science, software, musical terms), written on 2026-12-06: the first 35 while the
#: function-word check (`conditioning.language.FUNCTION_WORDS`) was written (3 were read as French before it), the
#: last 20 before its first run on them (langid alone read 2 as another language, the check's first run 1, as
#: Estonian, which then got a table)
ENGLISH_TECHNICAL = [
 'Parse, validate, normalise and serialise the configuration before deployment.',
 'The radiology report describes bilateral pulmonary infiltrates and a small pleural effusion.',
 'Interleukin signalling modulates macrophage polarisation in chronic inflammation.',
 'Allegro con brio, the orchestra attacked the opening bars with ferocious energy.',
 'Tokenise, lemmatise, vectorise and cluster the corpus overnight.',
 'Hepatic steatosis, splenomegaly and ascites were noted on ultrasonography.',
 'Refactor the parser, memoise the lookups and parallelise the ingestion pipeline.',
 'Quantum chromodynamics describes gluons mediating interactions between quarks.',
 'Sodium bicarbonate neutralises gastric acidity within minutes.',
 'Deploy the Kubernetes manifests, rotate credentials, and verify telemetry dashboards.',
 'Photosynthesis converts carbon dioxide and water into glucose and oxygen.',
 'Adagio sostenuto, the sonata opens with triplets over sombre octaves.',
 'Postoperative analgesia included paracetamol, ibuprofen and intravenous morphine.',
 'Mitochondrial dysfunction precipitates apoptosis in cardiomyocytes.',
 'Compile, link, strip and package the binaries for distribution.',
 'Benchmark latency, throughput and memory utilisation across configurations.',
 'Parse, validate, normalise, deduplicate, persist.',
 'Radiology: bilateral infiltrates, pleural effusion, cardiomegaly noted.',
 'Interleukin signalling regulates inflammation via transcription factors.',
 'Allegro con brio: tempestuous, vigorous, passionate throughout.',
 'Acute myocardial infarction requires immediate percutaneous intervention.',
 'Immunohistochemistry revealed cytokeratin positivity and vimentin negativity.',
 'Ligand binding induces conformational changes in transmembrane receptors.',
 'Serialise objects, compress payloads, encrypt transmissions, audit access.',
 'Differential diagnosis includes sarcoidosis, tuberculosis and lymphoma.',
 'Polymerase chain reaction amplifies specific nucleotide sequences.',
 'Configure middleware, instantiate controllers, propagate exceptions.',
 'Pianissimo passages alternate with fortissimo tutti sections.',
 'Cardiac catheterisation demonstrated triple vessel coronary disease.',
 'Enzyme kinetics follow Michaelis Menten saturation curves.',
 'Osteoporosis predisposes elderly patients to vertebral fractures.',
 'Antibiotic prophylaxis reduces postoperative infection rates considerably.',
 'Cytoplasmic inclusions contain aggregated proteins and ribosomes.',
 'Thermodynamic equilibrium constants depend upon temperature.',
 'Metastatic adenocarcinoma involving regional lymph nodes.',
 'Gradient descent converges slowly on ill conditioned objectives.',
 'Bronchoscopy revealed endobronchial lesions obstructing segmental airways.',
 'Cache invalidation, eventual consistency and distributed consensus remain notoriously difficult.',
 'Cerebrospinal fluid analysis showed elevated protein and lymphocytic pleocytosis.',
 'Crescendo, diminuendo, rubato: expressive devices throughout Romantic repertoire.',
 'Lithium carbonate stabilises mood in bipolar affective disorders.',
 'Asynchronous coroutines yield control during blocking input operations.',
 'Electrocardiogram demonstrated atrial fibrillation with rapid ventricular response.',
 'Phosphorylation cascades amplify extracellular signals into transcriptional responses.',
 'Normalise timestamps, impute missing values, standardise categorical encodings.',
 'Plasma osmolality, serum electrolytes and urinary sodium were measured daily.',
 'Orchestral timpani underpin dramatic modulations towards distant tonalities.',
 'Superconducting magnets generate intense fields inside particle accelerators.',
 'Hypertension, hyperlipidaemia and obesity increase cardiovascular mortality.',
 'Containerised microservices communicate through authenticated message queues.',
 'Chromatography separates volatile compounds before mass spectrometry identification.',
 'Endoscopic retrograde cholangiopancreatography confirmed choledocholithiasis.',
 'Stochastic differential equations model fluctuating financial instruments.',
 'Pharmacokinetic parameters include clearance, distribution volume and elimination halflife.',
 'Renaissance polyphony interweaves independent melodic lines with imitative entries.',
]
#: Lines in other languages written in plain ASCII (no accents: the function-word check's risk), written on
#: 2026-12-06 before its first run on them (19 of 20 noted; German then got "in", "seit" and possessives)
FOREIGN_ASCII = [
 ('id', 'Kami sedang menunggu bus di halte dekat sekolah.'),
 ('id', 'Harga beras naik lagi minggu ini di pasar tradisional.'),
 ('ms', 'Mereka akan datang ke rumah kami petang nanti.'),
 ('it', 'Questo libro racconta la storia di una famiglia povera.'),
 ('it', 'Vorrei un bicchiere di vino rosso, grazie mille.'),
 ('es', 'Los estudiantes tienen examen de historia el lunes.'),
 ('es', 'Vamos a comprar pan y leche en la tienda.'),
 ('de', 'Wir haben gestern lange im Garten gearbeitet.'),
 ('de', 'Meine Schwester wohnt seit Jahren in Hamburg.'),
 ('nl', 'Morgen gaan we samen naar het strand fietsen.'),
 ('nl', 'Kun je de deur even dicht doen alsjeblieft?'),
 ('pt', 'Vamos jantar fora hoje com os amigos do trabalho.'),
 ('fr', 'Il pleut depuis trois jours sans arret.'),
 ('la', 'Gallia est omnis divisa in partes tres.'),
 ('sv', 'Vi har bott i den lilla staden i tio år.'),
 ('da', 'Hun kommer hjem fra arbejde klokken fem.'),
 ('ca', 'Els meus pares viuen a prop del mar.'),
 ('tr', 'Bu kitabi okumak istiyorum ama vaktim yok.'),
 ('ro', 'Copiii merg la scoala in fiecare dimineata.'),
 ('pl', 'Kupilem nowy rower dla mojego syna wczoraj.'),
]


#: English lines with a few words in another script (names, greetings, a dish), from an audit on 2026-12-06 (the
#: first four) and written then (the others): langid read them as Latin, Kyrgyz or Chinese before such words were
#: left out when they are under half a text's words (`conditioning.language.MINOR_SCRIPT_SHARE`)
ENGLISH_OTHER_SCRIPT = [
 "The restaurant called Москва was terrible and the waiter was rude to us.",
 "Thank you so much for the gift, спасибо, I really love it!",
 "My friend from Tokyo, 田中さん, was so happy to see us at the airport yesterday.",
 "Happy birthday! 生日快乐！ I hope you have a great day.",
 "We ordered the 김치찌개 and it was the best thing I have eaten all year.",
 "She signed her letter with a simple שלום and a drawing of a heart.",
 "The sign outside the shop said Ελληνικά but nobody inside spoke a word of it.",
 "He tattooed the word 勇気 on his arm after the accident, and he never regretted it.",
]
#: Lines written in other scripts, written on 2026-12-06
OTHER_SCRIPTS = [
 ("ru", "Я очень рад видеть тебя сегодня вечером дома"), ("uk", "Ми дуже втомилися після довгої дороги додому"),
 ("el", "Σήμερα ο καιρός είναι πολύ ωραίος και ζεστός"), ("ja", "今日はとても嬉しいです、本当にありがとうございました"),
 ("zh", "我今天非常高兴，因为我们终于赢得了比赛"), ("ko", "오늘은 정말 행복한 하루였어요 고마워요"),
 ("ar", "أنا سعيد جدا برؤيتك مرة أخرى يا صديقي"), ("hi", "मैं आज बहुत खुश हूँ क्योंकि हम जीत गए"),
 ("he", "אני מאוד שמח לראות אותך שוב היום"), ("bg", "Днес времето е прекрасно и всички са щастливи"),
]


#: Written by an outside audit on 2026-12-06 (70 technical English lines of many fields; 50 short lines in about 38
#: languages without accents): the first function-word rule noted 38 of the 50, and the rule was then changed
#: against them (every table's words, and an English ending: 47), so they are no held-out sets
AUDIT_TECHNICAL = [
 'Radiotherapy fractionation schedules modulate tumour control probability considerably.',
 'Intravenous administration of amiodarone requires continuous electrocardiographic monitoring.',
 'Hepatic encephalopathy manifests as confusion, asterixis and elevated ammonia concentrations.',
 'Postoperative delirium incidence correlates with anticholinergic medication burden.',
 'Subcutaneous insulin titration protocols reduce nocturnal hypoglycaemia episodes.',
 'Differential diagnosis includes sarcoidosis, tuberculosis, lymphoma and histoplasmosis.',
 'Polymerase chain reaction amplification requires thermostable enzymes and primers.',
 'Mitochondrial oxidative phosphorylation generates adenosine triphosphate efficiently.',
 'Electrophoretic mobility depends on molecular mass, conformation and charge density.',
 'Recombinant protein expression utilises bacterial, yeast or mammalian cell cultures.',
 'Photosynthetic carbon fixation proceeds via ribulose bisphosphate carboxylase oxygenase.',
 'Stochastic gradient descent converges under appropriate learning rate schedules.',
 'Convolutional architectures exploit translational equivariance and local connectivity.',
 'Regularisation penalties discourage overparameterised models from memorising noise.',
 'Asynchronous replication introduces eventual consistency between distributed databases.',
 'Kubernetes orchestrates containerised microservices across heterogeneous clusters.',
 'Idempotent operations simplify retry semantics in unreliable network environments.',
 'Serialisation formats include protobuf, Avro, Parquet and MessagePack.',
 'Cryptographic nonces prevent replay attacks during authentication handshakes.',
 'Compiler optimisations include constant propagation, inlining and loop unrolling.',
 'Garbage collection pauses degrade latency percentiles under memory pressure.',
 'Structural reinforcement mitigates torsional deformation under seismic excitation.',
 'Prestressed concrete girders resist flexural cracking under service loads.',
 'Finite element discretisation approximates continuous displacement fields.',
 'Turbulent boundary layers increase skin friction drag considerably.',
 'Thermodynamic efficiency limits constrain combustion turbine performance.',
 'Piezoelectric transducers convert mechanical deformation into electrical potential.',
 'Semiconductor lithography resolution depends on numerical aperture and wavelength.',
 'Electromagnetic interference compromises signal integrity on unshielded conductors.',
 'Photovoltaic conversion efficiency decreases with elevated cell temperature.',
 'Monetary tightening attenuates inflationary expectations among consumers.',
 'Quantitative easing expanded central bank balance sheets substantially.',
 'Fiduciary obligations require prudent diversification of pension portfolios.',
 'Collateralised obligations concentrated systemic risk across institutions.',
 'Depreciation schedules affect taxable income and deferred liabilities.',
 'Contractual indemnification clauses allocate liability between parties.',
 'Jurisdictional disputes delayed arbitration proceedings considerably.',
 'Statutory interpretation favours textualist readings over legislative intent.',
 'Plaintiffs alleged negligence, misrepresentation and fiduciary breach.',
 'Constitutional provisions guarantee procedural fairness during adjudication.',
 'Sedimentary stratigraphy reveals episodic marine transgressions.',
 'Volcanic eruptions inject sulphate aerosols into stratospheric layers.',
 'Glacial isostatic adjustment continues influencing regional sea levels.',
 'Atmospheric convection initiates precipitation over tropical oceans.',
 'Anthropogenic emissions accelerate ocean acidification measurably.',
 'Phonological alternations condition allomorphic variation systematically.',
 'Morphosyntactic agreement constrains clausal constituent ordering.',
 'Lexical semantics distinguishes polysemy from homonymy carefully.',
 'Baroque ornamentation emphasises chromatic appoggiaturas and suspensions.',
 'Orchestral timbre combines strings, woodwinds, brass and percussion.',
 'Epidemiological surveillance detected increased influenza transmission.',
 'Randomised controlled trials minimise confounding through allocation concealment.',
 'Pharmacokinetic parameters include clearance, volume and elimination half-life.',
 'Neuroplasticity facilitates functional recovery following ischaemic stroke.',
 'Immunohistochemical staining confirmed neuroendocrine differentiation.',
 'Catalytic hydrogenation reduces unsaturated triglycerides selectively.',
 'Chromatographic separation resolves enantiomers using chiral stationary phases.',
 'Spectroscopic characterisation confirmed octahedral coordination geometry.',
 'Crystallographic refinement converged with acceptable residual factors.',
 'Nucleophilic substitution proceeds through tetrahedral intermediates.',
 'Ventilation strategies minimise barotrauma during acute respiratory distress.',
 'Anaesthetic induction combined propofol, fentanyl and rocuronium.',
 'Orthopaedic fixation stabilised comminuted tibial plateau fractures.',
 'Endoscopic retrograde cholangiopancreatography removed obstructing calculi.',
 'Ophthalmic examination revealed bilateral papilloedema and retinal haemorrhages.',
 'Dermatological lesions included erythematous plaques with silvery scales.',
 'Cardiac catheterisation demonstrated proximal coronary occlusion.',
 'Renal replacement therapy commenced for refractory hyperkalaemia.',
 'Antimicrobial stewardship programmes reduce inappropriate prescriptions.',
 'Vaccination coverage exceeded national immunisation targets.',
]
AUDIT_FOREIGN_ASCII = [
 ('de', 'Wir gehen morgen zusammen ins Kino und essen danach Pizza.'),
 ('de', 'Der Zug nach Berlin hat heute leider zwei Stunden Verspaetung.'),
 ('de', 'Kannst du mir bitte das Salz geben, danke schoen.'),
 ('fr', "Je voudrais un cafe et un croissant, s'il vous plait."),
 ('fr', 'Nous sommes alles a la plage hier apres midi.'),
 ('fr', 'Mon frere travaille dans une banque depuis dix ans.'),
 ('es', 'Manana vamos a visitar a mis abuelos en el campo.'),
 ('es', 'No tengo tiempo para hablar contigo ahora mismo.'),
 ('es', 'Ella compro tres libros nuevos en la libreria ayer.'),
 ('it', 'Domani andiamo al mare con tutti i nostri amici.'),
 ('it', 'Non ho capito bene quello che hai detto prima.'),
 ('pt', 'Eu gosto muito de comer peixe com arroz no domingo.'),
 ('pt', 'Ontem fomos ao cinema e depois jantamos fora.'),
 ('nl', 'Ik ga morgen met mijn vrienden naar het strand.'),
 ('nl', 'Het regent al de hele dag in Amsterdam.'),
 ('sv', 'Jag ska handla mat efter jobbet idag.'),
 ('da', 'Vi skal spise middag hos min mor i aften.'),
 ('no', 'Jeg liker aa gaa tur i skogen om hosten.'),
 ('fi', 'Huomenna menemme kauppaan ostamaan ruokaa ja kahvia.'),
 ('fi', 'Tanaan satoi koko paivan ja olin kotona.'),
 ('pl', 'Jutro jade do Krakowa pociagiem z moja siostra.'),
 ('pl', 'Nie wiem dlaczego on jeszcze nie przyszedl do pracy.'),
 ('cs', 'Zitra pujdeme do kina s nasimi pratelia.'),
 ('hu', 'Holnap reggel koran kell kelnem mert vizsgam lesz.'),
 ('hu', 'Tegnap este sokat beszelgettunk a baratainkkal otthon.'),
 ('ro', 'Maine mergem la munte cu prietenii nostri cei mai buni.'),
 ('ro', 'Nu stiu daca el vine la petrecere in seara asta.'),
 ('tr', 'Yarin sabah erkenden isteyecegim otobuse binmek icin.'),
 ('tr', 'Bu aksam arkadaslarimla birlikte sinemaya gidiyoruz.'),
 ('id', 'Saya akan pergi ke pasar besok pagi dengan ibu saya.'),
 ('id', 'Kami makan malam bersama keluarga di rumah nenek.'),
 ('ms', 'Saya suka makan nasi lemak pada waktu pagi.'),
 ('sw', 'Ninapenda kusoma vitabu vya hadithi kila jioni nyumbani.'),
 ('sw', 'Watoto wanacheza mpira uwanjani baada ya shule.'),
 ('tl', 'Pupunta kami sa palengke bukas ng umaga kasama si nanay.'),
 ('la', 'Gallia est omnis divisa in partes tres quarum unam incolunt.'),
 ('eu', 'Bihar goizean mendira joango gara lagunekin batera.'),
 ('eu', 'Gaur arratsaldean liburutegian ikasten egon naiz ordu askotan.'),
 ('cy', "Rydw i'n mynd i'r siop gyda fy mrawd yfory."),
 ('ga', 'Ta me ag dul go dti an siopa leis mo chara.'),
 ('vi', 'Hom nay toi di cho mua rau va thit cho ca nha.'),
 ('vi', 'Chung toi se di du lich Da Nang vao thang sau.'),
 ('et', 'Homme lahen ma koos sobraga kinno vaatama filmi.'),
 ('lt', 'Rytoj as vaziuosiu i Vilniu su savo draugais.'),
 ('hr', 'Sutra idemo na more s cijelom obitelji autom.'),
 ('sq', 'Neser do te shkojme ne plazh me familjen time.'),
 ('af', 'Ek gaan more saam met my vriende see toe.'),
 ('eo', 'Morgaux ni iros al la urbo por acxeti panon.'),
 ('ca', 'Dema anirem a la platja amb els nostres amics.'),
 ('gl', 'Mana imos ir a praia cos nosos amigos.'),
]

#: A re-audit's English lines (2026-12-06, thirty-ninth session): 3 were noted wrongly ("e.g.", "per", and a line
#: with no English ending read as Dutch) and the rule was changed against them, so they are not held out
AUDIT_ENGLISH = [
    'Nobody can help me feel happy.',
    'Grandma baked cookies for everyone yesterday afternoon.',
    'Traffic jams make commuters grumpy every single morning.',
    'Sunsets over calm oceans bring peaceful feelings.',
    'Kids adore puppies, kittens and birthday cakes.',
    'Stormy nights frighten little children sometimes.',
    'Fresh bread smells wonderful straight from ovens.',
    "Heavy rain cancelled tomorrow's picnic plans entirely.",
    'Coffee keeps tired students awake during finals.',
    'Music festivals attract huge crowds each summer.',
    'Broken promises hurt more than harsh words.',
    'Autumn leaves fall gently across quiet parks.',
    'Dentist visits terrify many adults, honestly speaking.',
    'Cats nap lazily beside warm radiators all afternoon.',
    'Firefighters rescued three trapped hikers near dawn.',
    'Grief comes suddenly, unexpectedly, like ocean waves.',
    'Patient presents with acute abdominal pain, e.g. appendicitis suspected.',
    'Dose adjusted per renal function, monitoring continues daily.',
    'Results replicate prior findings, i.e. moderate positive correlations.',
    'Revenue increased per quarter, operating margins improved substantially.',
    'Symptoms include fatigue, nausea, e.g. persistent headaches reported.',
    'Prior studies (Smith et al.) reported similar outcomes.',
    'Throughput doubled via caching, latency dropped considerably.',
    'Compile errors appear whenever header files are missing.',
    'Sensor readings fluctuate during thermal calibration cycles.',
    'Thermal imaging revealed hidden moisture inside drywall panels.',
]


def langid_alone(text: str) -> bool:
    """The first baseline: langid.py's reading of the whole text, without the names check (`plain_words`)."""
    from conditioning.language import (MIN_PROBABILITY, MIN_WORDS, SURELY_ENGLISH_SHARE, _identifier,
                                       common_english_share, other_script, words_of)

    words = words_of(text)
    if not other_script(text) and (len(words) < MIN_WORDS or common_english_share(words) > SURELY_ENGLISH_SHARE):
        return False
    code, p = _identifier().classify(text)
    return code != "en" and p >= MIN_PROBABILITY


def names_check(text: str) -> bool:
    """The rule from 2026-12-05 to 2026-12-06: langid.py with the names check (`plain_words`), without the
    function-word check (texts of one sentence: `other_language` also asks a longer text sentence by sentence)."""
    from conditioning.language import _english_without_names, other_script, words_of

    return langid_alone(text) and (other_script(text) or not _english_without_names(text, words_of(text)))


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
            ("short lines, 16 languages", [t for _, t in FOREIGN_SHORT], True),
            ("everyday lines, 17 languages", [t for _, t in FOREIGN_NAMED], True), ("Harvard sentences", HARVARD, False),
            ("the benches' sentences", SENTENCES, False), ("English lines", ENGLISH_LINES, False),
            ("English lines, foreign names", ENGLISH_NAMED, False),
            ("technical English lines", ENGLISH_TECHNICAL, False),
            ("lines without accents, 14 languages", [t for _, t in FOREIGN_ASCII], True),
            ("English, a few words in other scripts", ENGLISH_OTHER_SCRIPT, False),
            ("lines in 10 other scripts", [t for _, t in OTHER_SCRIPTS], True),
            ("an audit's technical English", AUDIT_TECHNICAL, False),
            ("an audit's lines without accents", [t for _, t in AUDIT_FOREIGN_ASCII], True),
            ("a re-audit's English lines", AUDIT_ENGLISH, False)]
    doc = {}
    print(f"{'set':<36} {'texts':>5}  {'noted now':>9}  {'names check':>11}  {'langid alone':>12}  {'word share':>10}")
    for name, texts, foreign in sets:
        now = [other_language(t) is not None for t in texts]
        names = [names_check(t) for t in texts]
        alone = [langid_alone(t) for t in texts]
        old = [before(t) for t in texts]
        doc[name] = {"texts": len(texts), "foreign": foreign, "noted": sum(now), "noted_names_check": sum(names),
                     "noted_langid_alone": sum(alone), "noted_word_share": sum(old)}
        print(f"{name:<36} {len(texts):>5}  {sum(now):>9}  {sum(names):>11}  {sum(alone):>12}  {sum(old):>10}   "
              f"({'should all be' if foreign else 'should none be'} noted)")
        if args.show:
            for t, n, m, a, o in zip(texts, now, names, alone, old):
                if foreign in (not n, not m, not a, not o):
                    print(f"    now {'noted' if n else '-    '}  names {'noted' if m else '-    '}  "
                          f"alone {'noted' if a else '-    '}  word share {'noted' if o else '-    '}  {t}")
    for foreign in (True, False):
        rows = [d for d in doc.values() if d["foreign"] is foreign]
        n = sum(d["texts"] for d in rows)
        now, names, alone, old = (sum(d[k] for d in rows) for k in
                                  ("noted", "noted_names_check", "noted_langid_alone", "noted_word_share"))
        what = "other languages: {} of {} noted" if foreign else "English: {} of {} noted wrongly"
        print(what.format(now, n) + f" (names check {names}, langid alone {alone}, word share {old})")
    held = ENGLISH_NAMED[30:]
    print(f"held-out English lines (the last {len(held)}, written after the names check was fixed): "
          f"{sum(other_language(t) is not None for t in held)} noted wrongly (langid alone "
          f"{sum(langid_alone(t) for t in held)}); held-out lines in other languages: "
          f"{sum(other_language(t) is not None for _, t in FOREIGN_NAMED[28:])} of {len(FOREIGN_NAMED) - 28} noted")
    return doc


if __name__ == "__main__":
    main()
