"""The fitted extraction models: written by benchmarks/train_extract.py, do not edit by hand.

CONTENT: content.py's block model (one weight per content.NAMES feature); HEADLINE: page.py's
headline model (headline.HEADLINE_NAMES); SPAN_PRIOR, SPAN_MIN, KEEP: how page.py decodes articles
from the block probabilities (see train_extract.py)."""

SPAN_PRIOR = 0.3
SPAN_MIN = 4.0
KEEP = 0.2

CONTENT = {
    "coef": [
        0.435215,  # units
        0.587155,  # chars
        2.533773,  # end_punct
        0.094824,  # sentences
        -0.697122,  # commas
        -0.266965,  # caps
        1.094733,  # all_caps_words
        -0.490764,  # short_words
        3.616407,  # digits
        0.908729,  # bullet
        -2.74308,  # furniture
        0.175566,  # navigation
        -1.289458,  # byline
        -1.408611,  # dateline
        -1.237564,  # credit
        -5.757453,  # list_header
        1.790906,  # url
        -1.708817,  # bracketed
        0.674722,  # one_word
        -0.303779,  # wrapped
        -4.288594,  # ellipsis
        -5.512366,  # boilerplate
        1.487497,  # headline_like
        0.933422,  # gap
        -1.982967,  # repeated
        -0.972379,  # outdented
        -1.109857,  # indented
        0.868787,  # prose_prev
        0.369751,  # prose_next
        -0.008124,  # bullet_prev
        -0.003152,  # bullet_next
        0.650543,  # headline_prev
        0.32735,  # headline_next
        -0.435995,  # prose_above_near
        0.250323,  # prose_below_near
        0.274441,  # units_above_near
        0.179159,  # units_below_near
        1.069984,  # prose_above_far
        1.145001,  # prose_below_far
        0.020927,  # units_above_far
        0.055715,  # units_below_far
        -3.592258,  # dates_near
        1.172066,  # prose_runs
        -2.304132,  # in_list
        -0.265629,  # capture_prose
        -0.830081,  # between_prose
    ],
    "bias": -9.344218,
}

HEADLINE = {
    "coef": [
        0.200019,  # distance
        0.13829,  # lines_between
        -0.799394,  # opens_text
        -0.952601,  # content_next
        0.459877,  # units
        1.269075,  # relative_units
        1.021987,  # longest
        0.876159,  # headline_shape
        -1.449576,  # question
        1.74458,  # dated_below
        -0.097729,  # repeated
        1.078418,  # shared_lead
        1.275529,  # shared_body
        -0.487677,  # bullet
        -1.507411,  # gap
        -0.266934,  # upper
        2.567007,  # content
        -0.259051,  # site_suffix
        0.391725,  # after_menu
        0.38244,  # longer_below
        1.499757,  # outdented
        -0.894706,  # caps
        2.21207,  # above_date
        1.348188,  # copy_above
        -0.938668,  # shares_with_above
        0.596486,  # credit_near
        0.722973,  # nearest_decent
        0.000802,  # second_decent
        0.668687,  # most_shared
        -0.060615,  # decent_below
        2.017323,  # echoed
        -3.334228,  # long
        -0.892104,  # dek_below
        0.476024,  # opens_header
        -1.112758,  # credit
        -0.231583,  # far_copy
        1.711467,  # copy_below
        -0.653769,  # among_labels
        0.222095,  # under_headline
        0.92437,  # shared_count
        1.064464,  # most_shared_count
    ],
    "bias": 0.0,
}
