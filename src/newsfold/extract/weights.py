"""The fitted extraction models: written by benchmarks/train_extract.py, do not edit by hand.

CONTENT: content.py's block model (one weight per content.NAMES feature); HEADLINE: page.py's
headline model (page.HEADLINE_NAMES); SPAN_PRIOR, SPAN_MIN, KEEP: how page.py decodes articles
from the block probabilities (see train_extract.py)."""

SPAN_PRIOR = 0.3
SPAN_MIN = 4.0
KEEP = 0.2

CONTENT = {
    "coef": [
        0.710446,  # units
        0.406855,  # chars
        2.600841,  # end_punct
        0.048684,  # sentences
        -0.721351,  # commas
        -0.130313,  # caps
        1.206472,  # all_caps_words
        -0.604197,  # short_words
        4.051077,  # digits
        0.721185,  # bullet
        -3.252994,  # furniture
        0.50693,  # navigation
        -1.325965,  # byline
        -1.601003,  # dateline
        -1.497016,  # credit
        -5.825437,  # list_header
        1.654677,  # url
        -1.805206,  # bracketed
        0.720468,  # one_word
        -0.28237,  # wrapped
        -4.194219,  # ellipsis
        1.528661,  # headline_like
        0.846798,  # gap
        -1.985246,  # repeated
        -0.883751,  # outdented
        -0.928992,  # indented
        0.902936,  # prose_prev
        0.458353,  # prose_next
        -0.052102,  # bullet_prev
        0.001492,  # bullet_next
        0.688954,  # headline_prev
        0.44451,  # headline_next
        -0.407616,  # prose_above_near
        0.248442,  # prose_below_near
        0.272357,  # units_above_near
        0.190194,  # units_below_near
        1.18831,  # prose_above_far
        1.330348,  # prose_below_far
        -0.009748,  # units_above_far
        0.020595,  # units_below_far
        -3.53244,  # dates_near
        1.146383,  # prose_runs
        -2.246942,  # in_list
        -0.35401,  # capture_prose
        -0.789594,  # between_prose
    ],
    "bias": -9.40482,
}

HEADLINE = {
    "coef": [
        0.059386,  # distance
        0.452464,  # lines_between
        -2.120245,  # opens_text
        0.800562,  # content_next
        1.195917,  # units
        -0.274618,  # relative_units
        1.04299,  # longest
        2.570027,  # headline_shape
        0.406103,  # question
        2.29895,  # dated_below
        0.527169,  # repeated
        1.791304,  # shared_lead
        3.318409,  # shared_body
        -2.222454,  # bullet
        -1.188484,  # gap
        0.585672,  # upper
        1.029788,  # content
        -1.321924,  # site_suffix
        0.028329,  # after_menu
        0.209941,  # longer_below
        2.112519,  # outdented
        -0.449312,  # caps
        1.369537,  # above_date
        4.409517,  # copy_above
        -0.551591,  # shares_with_above
        0.464893,  # credit_near
    ],
    "bias": 0.0,
}
