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
        0.202008,  # distance
        0.139158,  # lines_between
        -0.764957,  # opens_text
        -1.007573,  # content_next
        0.467807,  # units
        1.268233,  # relative_units
        1.026743,  # longest
        0.938747,  # headline_shape
        -1.434315,  # question
        1.750476,  # dated_below
        -0.098408,  # repeated
        1.079051,  # shared_lead
        1.262391,  # shared_body
        -0.487864,  # bullet
        -1.524484,  # gap
        -0.2604,  # upper
        2.793636,  # content
        -0.238669,  # site_suffix
        0.397581,  # after_menu
        0.379099,  # longer_below
        1.508348,  # outdented
        -0.893146,  # caps
        2.195209,  # above_date
        1.165524,  # copy_above
        -0.938362,  # shares_with_above
        0.595972,  # credit_near
        0.716282,  # nearest_decent
        -0.001879,  # second_decent
        0.653231,  # most_shared
        -0.062139,  # decent_below
        2.012621,  # echoed
        -3.40392,  # long
        -0.889606,  # dek_below
        0.472291,  # opens_header
        -1.093657,  # credit
        -0.222546,  # far_copy
        1.681983,  # copy_below
        -0.654161,  # among_labels
        0.214625,  # under_headline
        0.930533,  # shared_count
        1.063084,  # most_shared_count
    ],
    "bias": 0.0,
}
