"""Page dumps: the headline of a page's article is its headline, not a label or a date near it."""
from newsfold import extract_text

_MENU = "\n".join(["Skip to content", "Home", "World", "Business", "Science", "Health Check", "Sport", "Weather",
                   "Sign in", ""])

_BODY = """Researchers at the University of Uppsala followed more than four thousand adults for ten years, recording \
how much green tea each of them drank and measuring their blood pressure every spring.

Those who drank at least one cup a day had slightly lower readings on average, but the difference shrank to almost \
nothing once the team accounted for exercise, weight and how much salt the participants ate.

"People who drink green tea every day tend to do many other healthy things as well," said Dr Mara Lindqvist, who \
led the study. "The tea itself seems to play a very small part, if any."

The authors say a trial in which people are assigned to drink tea or not would be needed to settle the question, \
and that such a trial would have to run for several years to show any effect on heart disease.

Doctors who were not involved in the work said the findings matched earlier, smaller studies from Japan and China.
"""

_FOOTER = "\n".join(["", "Most read", "Storm closes ports along the coast", "Markets rally on rate hopes",
                     "About us", "Contact", "Privacy policy", "© 2025 The Example Herald"])


def test_a_section_label_printed_over_the_headline_that_repeats_it_is_not_the_headline():
    headline = "Health Check: Does a Cup of Green Tea a Day Really Lower Blood Pressure?"
    # the headline printed twice (a heading, then the share text), as some page templates do
    page = _MENU + "\nYou are at:\nHome\nHealth Check\n" + headline + "\n\n" + headline + "\n\n" + _BODY + _FOOTER
    arts = extract_text(page)
    assert len(arts) == 1
    assert arts[0].title == headline
    assert arts[0].paragraphs[0].startswith("Researchers at the University of Uppsala")


def test_a_headline_written_as_a_sentence_above_its_date_is_the_headline():
    page = (_MENU + "\nGreen tea and blood pressure: the cup helps less than the habits.\n"
            "Updated Mar 12, 2025, 9:41 AM\n\n" + _BODY + _FOOTER)
    arts = extract_text(page)
    assert len(arts) == 1
    assert arts[0].title == "Green tea and blood pressure: the cup helps less than the habits."
    assert arts[0].paragraphs[0].startswith("Researchers at the University of Uppsala")


def test_a_label_is_never_offered_as_the_headline_it_opens():
    from newsfold.extract.blocks import to_blocks
    from newsfold.extract.headline import headline_candidates

    headline = "Health Check: Does a Cup of Green Tea a Day Really Lower Blood Pressure?"
    blocks = to_blocks(_MENU + "\nHealth Check\n" + headline + "\n\n" + _BODY)
    first = next(i for i, b in enumerate(blocks) if b.text.startswith("Researchers"))
    offered = [blocks[j].text for j in headline_candidates(blocks, first)]
    assert headline in offered
    assert offered.count("Health Check") == 1  # the menu's label, not the kicker right above the headline


def test_a_gallery_between_the_headline_and_the_text_does_not_make_an_article_of_its_own():
    captions = "\n\n".join(
        f"{c} on Tuesday, March 11, 2025, in Vadstena, Sweden, as the lake froze for the first time in a decade, "
        f"and families spent the afternoon on the ice. (Erik Holm/The Lake Courier via AP)"
        for c in (["Skaters cross the harbour", "A boy pulls a sled past moored boats",
                               "Fishermen drill holes near the pier", "Ice covers the old ferry landing"]))
    page = (_MENU + "\nLake Freezes Over for the First Time in a Decade\n\n"
            "Residents of the small town took to the ice while scientists warned the cold spell would not last.\n\n"
            + captions + "\n\nBy Jonas Berg\n\n" + _BODY + _FOOTER)
    arts = extract_text(page)
    assert [a.title for a in arts] == ["Lake Freezes Over for the First Time in a Decade"]
    assert any(p.startswith("Researchers at the University of Uppsala") for p in arts[0].paragraphs)



_TOWNS = ["Vadstena", "Motala", "Linköping", "Jönköping", "Örebro", "Västerås", "Uppsala", "Gävle", "Falun",
          "Borlänge", "Karlstad", "Skövde"]


def _report(topic: str) -> str:
    """A long article's paragraphs, one a line (a browser's select-all prints no blank lines)."""
    return "".join(f"In {town}, {topic} drew {100 + 37 * k} replies from residents, and the council said it would "
                   f"publish a full report on the findings before the summer recess, with figures for every district.\n"
                   for k, town in enumerate(_TOWNS))


# a scroll's first page: its article, an author box, a related list; the next page follows it
_GREEN_TEA_PAGE = ("Green Tea Survey Draws Thousands of Replies\nBy Jonas Berg\n" + _report("the green tea survey")
                   + "About the Author\nJonas Berg\n@jonasberg\nJonas covers health for the Herald.\n"
                     "More from Health\nNew clinic opens\nFlu season starts early\n")


def _cut_after_the_first_page(second: str):
    """The scroll of _GREEN_TEA_PAGE then `second`: two articles, each page's own, the first page
    keeping nothing of the second."""
    arts = extract_text(_GREEN_TEA_PAGE + second)
    assert [a.title for a in arts] == ["Green Tea Survey Draws Thousands of Replies",
                                       "Harbour Bridge Reopens After Six Weeks of Repairs"]
    assert not any("bridge" in p for p in arts[0].paragraphs)
    return arts


def test_a_scroll_of_two_long_pages_is_cut_at_the_second_page_s_head():
    # two pages scrolled into one capture: the first page's author box and link list, then the
    # second page's menu and head (date, headline, byline, credit), no headline printed twice
    second = ("Skip to main content\nMenu\nNews\nSport\nCulture\nMar. 14, 2025 6:10 AM CET\n"
              "Harbour Bridge Reopens After Six Weeks of Repairs\nBy Lena Ortiz and Tomas Weber\nAssociated Press\n"
              "Photo: Nils Berg, The Coast Herald\n"
              "PORT ELLEN (AP) — The harbour bridge reopened to traffic on Monday after six weeks of repairs.\n"
              + _report("the bridge closure"))
    arts = _cut_after_the_first_page(second)
    assert arts[1].paragraphs[0].startswith("PORT ELLEN (AP)")


def test_a_scroll_is_cut_at_a_head_with_a_standfirst_between_the_headline_and_the_byline():
    second = ("Skip to main content\nMenu\nNews\nSport\nCulture\nOpinion\nTravel\nObituaries\n"
              "Harbour Bridge Reopens After Six Weeks of Repairs\n"
              "The town paid more than two million euros, and commuters paid with their mornings.\n"
              "By Lena Ortiz\nOpinion Columnist\n"
              "PORT ELLEN — The harbour bridge reopened to traffic on Monday after six weeks of repairs.\n"
              + _report("the bridge closure"))
    _cut_after_the_first_page(second)


_SLOGAN = "お客様の暮らしを守ります。住まいの相談なら湖畔不動産事務所へ［東京・中央区］"


def test_an_east_asian_sentence_at_the_top_of_the_page_is_not_the_headline():
    # a site's slogan (two sentences, with the ideographic full stop) above the menu
    page = (_SLOGAN + "\n"
            "ホーム\n事務所案内\nサービス\nお問い合わせ\n\n"
            "賃貸契約の更新料は払うべき？\n2025年3月12日\n\n"
            "賃貸住宅の契約を更新するときに、更新料を請求されることがあります。更新料の支払いは法律で決められたものではなく、"
            "契約書に書かれているかどうかで判断されます。\n\n"
            "契約書に更新料の定めがあり、その金額が高すぎない場合には、支払う必要があると考えられています。"
            "最高裁判所も、一定の条件のもとで更新料の条項を有効と判断しました。\n\n"
            "一方で、契約書に定めがない場合には、更新料を支払う義務はありません。不明な点があれば、契約書を確認したうえで"
            "専門家に相談することをおすすめします。\n\n"
            "当事務所では、賃貸契約に関するご相談を無料で受け付けています。お気軽にお電話ください。\n\n"
            "プライバシーポリシー\n© 2025 湖畔不動産事務所\n")
    arts = extract_text(page)
    assert [a.title for a in arts] == ["賃貸契約の更新料は払うべき？"]

    from newsfold.extract.blocks import to_blocks
    from newsfold.extract.headline import headline_candidates

    blocks = to_blocks(page)
    first = next(i for i, b in enumerate(blocks) if b.text.startswith("賃貸住宅の契約"))
    offered = [blocks[j].text for j in headline_candidates(blocks, first)]
    assert "賃貸契約の更新料は払うべき？" in offered and _SLOGAN not in offered
