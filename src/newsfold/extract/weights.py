"""The fitted extraction models: written by benchmarks/train_extract.py, do not edit by hand.

CONTENT: content.py's block model (one weight per content.NAMES feature); HEADLINE: page.py's
headline model (headline.HEADLINE_NAMES); SPAN_PRIOR, SPAN_MIN, KEEP: how page.py decodes articles
from the block probabilities (see train_extract.py)."""

SPAN_PRIOR = 0.3
SPAN_MIN = 4.0
KEEP = 0.2

CONTENT = {
    "coef": [
        0.521425,  # units
        0.535783,  # chars
        2.569313,  # end_punct
        0.078018,  # sentences
        -0.720197,  # commas
        -0.225111,  # caps
        1.158043,  # all_caps_words
        -0.525403,  # short_words
        3.77306,  # digits
        0.884452,  # bullet
        -2.789339,  # furniture
        0.192333,  # navigation
        -1.329412,  # byline
        -1.472432,  # dateline
        -1.244358,  # credit
        -5.793214,  # list_header
        1.801759,  # url
        -1.729381,  # bracketed
        0.667661,  # one_word
        -0.3068,  # wrapped
        -4.291016,  # ellipsis
        -5.477019,  # boilerplate
        1.501383,  # headline_like
        0.879815,  # gap
        -1.98733,  # repeated
        -0.983333,  # outdented
        -1.113397,  # indented
        0.869326,  # prose_prev
        0.377525,  # prose_next
        -0.025735,  # bullet_prev
        -0.006925,  # bullet_next
        0.649871,  # headline_prev
        0.338049,  # headline_next
        -0.4313,  # prose_above_near
        0.236471,  # prose_below_near
        0.275849,  # units_above_near
        0.187113,  # units_below_near
        1.12363,  # prose_above_far
        1.22301,  # prose_below_far
        0.007848,  # units_above_far
        0.038444,  # units_below_far
        -3.618237,  # dates_near
        1.166606,  # prose_runs
        -2.292026,  # in_list
        -0.33019,  # capture_prose
        -0.823565,  # between_prose
    ],
    "bias": -9.301916,
}

HEADLINE = {
    "coef": [
        0.145069,  # distance
        0.114059,  # lines_between
        -0.736246,  # opens_text
        -1.117683,  # content_next
        0.829069,  # units
        2.002111,  # relative_units
        0.827055,  # longest
        0.422848,  # headline_shape
        -1.444494,  # question
        1.761745,  # dated_below
        -0.042574,  # repeated
        1.848731,  # shared_lead
        1.913066,  # shared_body
        -0.498532,  # bullet
        -1.231929,  # gap
        -0.385997,  # upper
        1.727053,  # content
        -1.007247,  # site_suffix
        0.364074,  # after_menu
        0.275441,  # longer_below
        1.524139,  # outdented
        -0.972507,  # caps
        1.946332,  # above_date
        1.634746,  # copy_above
        -0.67949,  # shares_with_above
        -0.130263,  # credit_near
        1.108973,  # nearest_decent
        0.237447,  # second_decent
        1.08986,  # most_shared
        -0.056507,  # decent_below
        2.159568,  # echoed
        -3.504974,  # long
        -1.057583,  # dek_below
        0.846859,  # opens_header
        -1.388237,  # credit
        -0.238339,  # far_copy
        2.651168,  # copy_below
        -0.488336,  # among_labels
        -0.061321,  # under_headline
    ],
    "bias": 0.0,
}
