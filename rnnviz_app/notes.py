"""The pages' longer prose: the "what to look for" notes, in Markdown (< and > escaped).

Kept apart from the page code so a page file reads as its flow: which charts, in which
order, from which data. Each note says what the picture shows and why it matters.
"""

import math

from rnnviz.core.trace import split_key

ACTIVATIONS = {
    "caption": (
        "The network reads the sidebar's sentence one token at a time. Every chart below is "
        "one quantity of the course notes over units × time steps t = 1…T_x; hover for values."),
    "architecture": "Architecture: {}{} — {}.",
    "topk_title": "**Top-5 of ŷ\\<t\\>: the {}, at each step**",
    "topk_short": "Top-5 of ŷ&lt;t&gt;",
    "showing": ("Showing {k} of {n} units per chart (the ones whose {s} varies most over this "
                "sentence), top to bottom in unit order; section 3 reads any unit."),
    "stack": (
        "Off: one quantity at a time, a tab each (an edit redraws one chart). On: every "
        "quantity stacked, to compare a gate with the state it controls, step by step."),
    "all_units": (
        "Off: each chart draws the units that vary most over this sentence, so an edit redraws "
        "quickly. On: every unit (long sentences on big models may still be thinned)."),
    "onehot": (
        "x\\<t\\> is a column of n_x zeros with a single 1 at the token's index in the "
        "vocabulary (the course's one-hot encoding). Only the rows this sentence uses are "
        "drawn. A token the vocabulary does not know reads as **{unk}**: every unknown "
        "token looks the same to the network."),
    "arch": {"rnn": r"an RNN has only a\<t\>",
             "gru": r"a GRU adds Γu, Γr and c̃\<t\> (its c\<t\> is a\<t\>)",
             "lstm": r"an LSTM adds c\<t\>, c̃\<t\> and the gates Γf, Γu, Γo"},
    "heatmap": {
        "a": "Each column is the hidden state **a\\<t\\>** just after reading the token under "
             "it; each row is one unit. Rows that change colour at spaces or punctuation react "
             "to word boundaries; rows that keep one colour over a stretch carry memory across "
             "steps.",
        "c": "The LSTM's memory cell **c\\<t\\>** is not squashed by tanh: it can grow past ±1 "
             "while Γf ≈ 1 keeps it and Γu keeps adding. Long horizontal bands are memory kept "
             "over many steps.",
        "c_tilde": "**c̃\\<t\\>** is the candidate the cell could write at step t, computed "
                   "from a\\<t-1\\> and x\\<t\\>. It changes with almost every character: "
                   "whether it is actually written is up to Γu.",
        "gamma_f": "**Γf** near 1 (yellow) keeps c\\<t-1\\>; near 0 (dark) erases it. A dark "
                   "column is a step where many units erase their memory at once.",
        "gamma_u": "**Γu** decides how much of c̃\\<t\\> is written into c\\<t\\>. In a GRU, "
                   "Γu ≈ 0 copies c\\<t-1\\> unchanged: that is how a GRU keeps memory, and "
                   "gradients, over long spans.",
        "gamma_o": "**Γo** decides how much of tanh(c\\<t\\>) is shown as a\\<t\\>. A unit can "
                   "hold something in c\\<t\\> and keep it hidden (Γo ≈ 0) until it is needed.",
        "gamma_r": "**Γr** (relevance) decides how much of c\\<t-1\\> enters the candidate "
                   "c̃\\<t\\>. Γr ≈ 0 lets the unit compute a fresh candidate that ignores the "
                   "past.",
    },
    "direction": {
        "fwd": " This is the **forward** direction (→): it has read x\\<1\\>…x\\<t\\>.",
        "bwd": " This is the **backward** direction (←): it has read x\\<T_x\\>…x\\<t\\>, right "
               "to left.",
    },
    "a_random": " With random weights, expect a pattern that mostly follows the current "
                "character.",
    "a_trained": " This model is trained: look for units that stay on through a word, or flip "
                 "at every space.",
    "unit": (
        "Each token's background is unit {unit}'s {symbol} right after reading it: red above, "
        "blue below {centre}, scaled to this unit's largest value so that even a quiet unit "
        "shows its pattern. Hover a token for the exact value. In trained character models "
        "(Karpathy et al., 2015) a few units track quotes, line length or the inside of "
        "brackets; most are harder to read (the Units page searches a whole corpus)."),
    "what": {"char_lm": "next character", "tagger": "tag of each token",
             "classifier": "class of the text read so far"},
    "topk_lm": (
        "Column t lists the 5 most likely values of ŷ\\<t\\> after reading x\\<1\\>…x\\<t\\>; "
        "darker = more probable"),
    "topk_special": {"unk": "**{}** is the vocabulary's unknown token",
                     "eos": "**{}** the end of the text"},
    "topk_mark": "An orange frame marks {target} when it is among the five. ",
    "topk_trained": "A trained char LM is confident inside words and unsure after a space or "
                    "at the start of a word.",
    "topk_random": "Random weights give flat, near-uniform guesses (about 1/n_y each).",
    "topk_other": ("Column t lists the 5 most likely classes of ŷ\\<t\\>, the {what}, after "
                   "reading x\\<1\\>…x\\<t\\>; darker = more probable. "),
    "target_name": {"char_lm": "the true next token", "tagger": "the token's target tag",
                    "classifier": "the target class"},
    "saturation": (
        "One dot per unit. Right: the gate is mostly closed (< 0.1); top: mostly open "
        "(> 0.9); on the dotted diagonal it is always one or the other, never in between. "),
    "saturation_trained": (
        "In trained models (Karpathy et al., 2015) some gates stay open (> 0.9) for long "
        "stretches: high dots on the Γf panel are units that remember. Dots far right are "
        "gates that are almost always closed."),
    "saturation_random": "Random weights sit near the origin: no gate has learned to open or "
                         "close yet.",
    "saturation_rnn": (
        "An RNN has no gates; this shows how often tanh saturates near ±1, where its "
        "derivative (1 − a²) is almost 0 and the gradient through that unit vanishes."),
}

# Equations of one BPTT step per cell (the kernels compute exactly these, fused).
def dw_note(config) -> str:
    """The note beside the Backward page's ∂L/∂W chart, for the cell and its variant (only a
    GRU's tells how its W_c reads c<t-1>; PyTorch's GRU differs from the notes' there)."""
    torch_gru = config.cell == "gru" and config.variant == "torch"
    return BACKWARD["dw"]["gru_torch" if torch_gru else config.cell]


def backward_loss_note(kind: str, at: str, config) -> str:
    """The note beside the Backward page's loss chart: per model kind and loss, and for a
    bidirectional classifier that reads torch's h_n (`RNNConfig.readout`)."""
    h_n = config.readout == "h_n" and config.bidirectional
    return (BACKWARD["loss_" + kind].format(log_n_y=math.log(config.n_y))
            + (BACKWARD["loss_h_n"] if h_n else "") + BACKWARD["loss_" + at])


BACKWARD = {
    "all_units": (
        "Off: the charts draw the units with the largest gradients, so a step or an edit "
        "redraws quickly. On: every unit (long sentences on big models may still be thinned)."),
    "big_check": "This network is large: the check copies it in float64 and runs it twice per "
                 "checked entry, which takes a while; switch it on to run it.",
    "losses": {"all": "Cross-entropy over the sentence: L = Σ_t L<t>",
               "last": "Loss at the last step only: L = L<T_x>"},
    "caption": (
        "Backpropagation through time: the loss is computed from ŷ\\<1\\>…ŷ\\<T_x\\>, then "
        "its gradient flows backwards, from t = T_x down to t = 1, through the same cell at "
        "every step. Each step adds its share to ∂L/∂W."),
    "loss_char_lm": (
        "L\\<t\\> = −log ŷ\\<t\\>[y\\<t\\>]: small when the model gave the right next "
        "token a high probability. With random weights every L\\<t\\> is close to log n_y "
        "= {log_n_y:.2f}, the loss of a uniform guess. "),
    "loss_tagger": (
        "L\\<t\\> = −log ŷ\\<t\\>[y\\<t\\>], with the true tags y\\<t\\> chosen "
        "above: large where the tagger gives the true tag a low probability, small where it "
        "already agrees; log n_y = {log_n_y:.2f} would be a uniform guess. "),
    "loss_classifier": (
        "L = −log ŷ\\<T_x\\>[y], with the true label y chosen above: large when the "
        "classifier gives it a low probability; log n_y = {log_n_y:.2f} would be a uniform "
        "guess. "),
    "label_help": "The class the loss says is right. Default: the class the model ranks "
                  "second; its own first choice would give L ≈ 0 and almost no gradient.",
    "label_step_help": "Pick a token, then its true label on the right; every other token "
                       "keeps its label (default: the model's second choice).",
    "targets_tagger": (
        "Targets: your sentence has no labels, so you choose them (above). {own}{changed}"),
    "targets_changed": "{n} token(s) have a label you set; the others keep the model's "
                       "second choice.",
    "targets_classifier": (
        "Target: your sentence has no label, so you choose it (above). {own}"),
    "targets_default": (
        "By default each target is the class the model ranks second, not its own guess, so "
        "the loss has something to teach. "),
    "loss_last": "Only the last bar counts when the loss is at T_x only; the gradient then "
                 "enters the network at a single step.",
    "loss_all": "Every step with a target injects gradient into the network at its own t.",
    "stepping": (
        "Press **◀ Play BPTT**: t moves left one step at a time and the grey cover follows "
        "as BPTT reaches earlier steps. ∂L/∂a\\<t\\> is the sum of two arrows: the step's "
        "own loss through W_y, and what comes back from step t+1 through the recurrent "
        "weights (the metrics split it). "),
    "stepping_last": "With the loss at T_x only, the early steps receive gradient *only* "
                     "through the recurrence: watch the norm on the right shrink as t moves "
                     "left.",
    "stepping_all": "The log-scale norm shows how much each step matters to the loss.",
    # by cell and variant (`dw_note`): only a GRU's page tells how its W_c differs
    "dw": {key: (
        "The same weights are used at every step, so their gradient is a **sum over steps**: "
        "∂L/∂W = Σ_t dz\\<t\\> [a\\<t-1\\>; x\\<t\\>]ᵀ"
        + {"gru": " (the GRU's W_c reads Γr \\* c\\<t-1\\> instead of a\\<t-1\\>)",
           "gru_torch": " (in this GRU, PyTorch's, Γr acts after the product, so W_ca gets "
                        "(dz_c \\* Γr) c\\<t-1\\>ᵀ)"}.get(key, "")
        + ". The top bars are each step's term; the bottom lines add them up from T_x "
        "leftwards, as BPTT does, and reach ||∂L/∂W|| at t = 1. Steps whose bars are tiny "
        "barely train the weights: that is the vanishing gradient seen from the weights' side.")
        for key in ("rnn", "gru", "gru_torch", "lstm")},
    "gradcheck": (
        "For a few entries θ of each weight matrix, the analytic gradient from BPTT is compared "
        "with the centred difference (L(θ + ε) − L(θ − ε)) / 2ε, ε = 10⁻⁵, on a float64 copy "
        "of the model, over the first {steps} steps of the sentence (each entry costs two more "
        "forward passes). Relative errors around 10⁻⁷ or smaller mean the backward pass is "
        "right; 10⁻³ or more would mean a bug. A very small gradient of a large loss is only "
        "checked to the rounding of L (≈ 10⁻¹⁶·|L|/ε). "),
    "gradcheck_lstm": (
        "The table uses the notes' names; the API and the checkpoint call the update gate's "
        "W_u, b_u `Wi`, `bi`."),
    "too_short": "A language-model loss needs at least two characters (step t predicts "
                 "character t+1): type a longer sentence.",
    "loss_help": "The seed's L = Σ_t L<t>, or only the last step's loss (what a many-to-one "
                 "model such as a sentiment classifier uses).",
    "loss_value_help": "Natural log, summed over the steps that count.",
    "steps_help": "For a character model the loss uses the course's pair: x = the sentence "
                  "without its last character, y<t> = x<t+1>.",
    "directions": {"fwd": "forward a→", "bwd": "backward a←"},
    "direction_help": "Each direction has its own weights and its own BPTT sweep.",
    "keys_help": "∂L/∂a<t>, ∂L/∂c<t>, and the gradient with respect to each gate's value.",
    "local_help": "W_yᵀ(ŷ<t> − y<t>): this step's own loss, through the output layer.",
    "above_help": "What layer l+1 sends back at this step through its input weights: in a "
                  "stack, a lower layer's state gets its gradient from the layer above and "
                  "from its own next step.",
    "playing": ("Playing in your browser, a step back every {seconds:g} s. The numbers of the "
                "step where it stops (at t = 1, or ❚❚ Pause) appear below, with the slider."),
    "step_label": "Step t (BPTT starts at T_x and moves left)",
    "step_back": "BPTT's next step: one step earlier in the sentence.",
    "loss_h_n": "ŷ\\<T_x\\> reads h_n = [a→\\<T_x\\>; a←\\<1\\>], as your torch classifier "
                "does: the gradient enters a→ at T_x and a← at t = 1. ",
    "carried_help": "What flows back through the recurrence from the later steps.",
    "worst_help": "Over the entries checked in relative terms (not tiny, above rounding).",
}

SAMPLING = {
    "pair": {"sampling.compare_a": "The apple and pair salad",
             "sampling.compare_b": "The apple and pear salad"},
    "step_label": "Step t: inputs read (the prefix, then the characters drawn so far)",
    "step_help": ("The notes' t: after reading x\\<1\\>…x\\<t\\> the model outputs ŷ\\<t\\>, "
                  "and the character drawn from it is x\\<t+1\\>. t = 0 is the start "
                  "state, before any character."),
    "playing": ("Playing in your browser, a step every {seconds:g} s: the draw, ŷ\\<t\\> and "
                "a\\<t\\> of each step. Where it stops (at the end, or ❚❚ Pause) the slider, the "
                "painted text and the numbers return at that t."),
    "rank_help": "Rank {rank} of {n} under the model.",
    "entropy_help": "0 bits: the model is certain; log2 |V| bits: it has no idea.",
    "model_help": "Three character LMs trained on the same corpus (Python standard library "
                  "docstrings).",
    "temperature_help": "P(c) ∝ ŷ_c^(1/T). Below 1 sharpens ŷ\\<t\\> (safer text), above 1 "
                        "flattens it (more surprising); 0 = greedy.",
    "top_k_help": "Sample only among the k most likely characters.",
    "seed_help": "The same seed and settings give the same text.",
    "stale": "The settings changed since this sample was drawn: press **Generate** to sample "
             "with the new ones.",
    "shown": "{model} model, temperature {temperature:g}, top-k {top_k}, {n} characters, seed "
             "{seed}.",
    "no_start": "Your model starts from a<0> = 0 without a start token, so it gives no "
                "probability to a sentence's first token: the scores below are over tokens "
                "2..T (token 1 is read, not scored). Load it with a start token (the one it "
                "read first in training) to score the first token too.",
    "empty": "The sidebar's sentence is empty: type a sentence there to score it.",
    "unreadable": "The {model} model cannot score this: {why}. Type text in its vocabulary, "
                  "or load the model with an unknown token.",
    "tie": "The {model} model gives both sentences the same probability.",
    "prefers": "The {model} model prefers **sentence {winner}**: log P({winner}) − log "
               "P({loser}) = {diff:.2f} nats, so sentence {winner} is **{ratio} times** as "
               "probable.",
    "lengths": "The sentences differ in length: every extra character multiplies in one more "
               "probability below 1, so compare bits per character too.",
    "caption": (
        "A character language model reads x\\<t\\> and outputs ŷ\\<t\\>, the probability of "
        "every possible next character. Sampling draws one character from ŷ\\<t\\> and feeds "
        "it back as x\\<t+1\\>, again and again (course notes, \"Sampling novel sequences\"). "
        "The model picker below starts at the sidebar's model when that is a shipped char LM; "
        "taggers and classifiers cannot write text."),
    "step": (
        "Grey: what the model itself predicts, ŷ\\<t\\>. Blue/red: the distribution the "
        "character was actually drawn from, after temperature and top-k; red is the draw. "
        "A low temperature piles the mass on the favourite; top-k removes the long tail. "
        "High-entropy steps (the start of a word) are where samples diverge; after a few "
        "letters of a word the model is usually sure."),
    "hidden": (
        "a\\<t\\> is everything the model remembers when it predicts ŷ\\<t\\>. Each column is "
        "one t, each row one unit; the red box is the slider's t. Units that flip "
        "at spaces or after punctuation track word boundaries; slowly changing rows carry "
        "longer context."),
    "score_caption": (
        "A language model gives every sentence a probability: P(y\\<1\\>, …, y\\<T_y\\>) = "
        "P(y\\<1\\>) · P(y\\<2\\> | y\\<1\\>) · … — the product of ŷ at each character. "
        "This scores the sidebar's sentence (edit it there)."),
    "score": (
        "Each bar is log P(c\\<t\\> | everything before it): near 0 means the model saw it "
        "coming, very negative means surprise. The top line adds them up: log P(sentence) is "
        "where it ends. Characters after the first few letters of a word are usually cheap; "
        "capital letters, digits and rare words are expensive."),
    "compare_caption": (
        "The course notes' speech-recognition example: two transcriptions that sound the "
        "same, and the language model decides which one was said. A model only knows its "
        "corpus: these learned from Python docstrings, where \"pair\" (as in key/value pair) "
        "is common and \"pear\" is rare. Try a pair in the docstrings' own style too, e.g. "
        "\"Return the number of items\" vs \"Return the number of itmes\"."),
    "compare": (
        "Yellow columns are where the two sentences differ. Before them the two curves "
        "coincide (same characters, same predictions); the gap opens at the differing "
        "characters and can keep changing after them, because the model's state now differs. "
        "The final gap is the log-probability difference."),
}

TYPES = {
    "caption": (
        "The same recurrent cell, a\\<t\\> = g(W_a [a\\<t-1\\>, x\\<t\\>] + b_a), wired four "
        "ways (course notes, \"Different types of RNNs\"). Each diagram below is labelled with a "
        "real input and the real output of a model shipped with rnnviz; edit the inputs. Each "
        "wiring needs a model trained for it, so this page uses the shipped tagger, classifier "
        "and char LMs whatever the sidebar's model."),
    "many_to_many": (
        "One output per input: ŷ\\<t\\> = P(word t is part of a name), here from "
        "**ner-bilstm**. Red numbers are above 0.5. T_y = T_x by construction: the network "
        "emits ŷ\\<t\\> as it passes x\\<t\\> (this tagger also reads the sentence "
        "backwards first). A word it has never seen is read as \\<UNK\\>: its tag then rests "
        "on the words around it."),
    "many_to_one": (
        "The network reads every word but answers once, after the last: ŷ\\<T_x\\> = "
        "P(rating | the whole review), from **sentiment-lstm**. T_y = 1. The training loss "
        "only looks at that last output, so a\\<T_x\\> has to carry everything that matters "
        "(a *but* late in the review can overturn the opening)."),
    "one_to_many": (
        "One input (or none: the start symbol), a whole sequence out. Each drawn character "
        "ŷ\\<t\\> is fed back as the next input x\\<t+1\\> (dotted lines) — that is how the "
        "course notes generate music or text."),
    "encoder_decoder": (
        "Translation: 5 French tokens in, 8 English tokens out, so a tagger's one-output-per-"
        "input wiring cannot work. An **encoder** RNN reads the whole input and only hands "
        "over its last state a\\<T_x\\>, a summary of the sentence. A **decoder** RNN (its "
        "own parameters) starts from that state and generates the output one token at a time, "
        "feeding each word back in — the one-to-many wiring above — until it emits an end "
        "token. So T_y is decided by the decoder, not by T_x."),
}

BIDIRECTIONAL = {
    "equation": r"\hat{y}^{\langle t \rangle} = g\big(W_y\,[\,\overrightarrow{a}^{\langle t "
                r"\rangle},\ \overleftarrow{a}^{\langle t \rangle}\,] + b_y\big)",
    "sources": {"a": "Sentence A", "b": "Sentence B", "sidebar": "The sidebar's sentence"},
    "scales": {"row": "each row ÷ its max", "log": "log10", "raw": "raw"},
    "sentences": {"a": "He said, Teddy Roosevelt was a great president.",
                  "b": "He said, Teddy bears are on sale."},
    "models": "This page uses the two shipped name taggers, whatever the sidebar's model: they "
              "were trained on the same data, one reading left to right only.",
    "type_one": "Type a sentence to tag (for example one with a name in it).",
    "no_words": "No words found in this text: type some words.",
    "empty": "The chosen sentence is empty: type one above (or in the sidebar).",
    "no_shared": "The two sentences start with different words, so there is no shared "
                 "beginning to compare.",
    "scale_help": "A confident softmax squashes every gradient, so the norms span many orders "
                  "of magnitude: the log scale shows them all.",
    "caption": (
        "A bidirectional RNN runs two RNNs with their own parameters: a→\\<t\\> reads the "
        "sentence left to right, a←\\<t\\> right to left, and every prediction sees both "
        "(course notes, \"Bidirectional RNN\"):"),
    "taggers": (
        "Two word-level name taggers were trained on the same sentences: **ner-lstm** reads "
        "left to right only, **ner-bilstm** reads both ways. Both output P(name) = ŷ\\<t\\> "
        "for every word. Edit either sentence."),
    "shared": (
        "Up to the last shared word the two sentences are identical, so the "
        "**unidirectional** tagger has read exactly the same x\\<1\\>…x\\<t\\>: its "
        "a→\\<t\\> and its P(name) are *the same number* in both sentences (difference 0). It "
        "has to guess before it sees *Roosevelt* or *bears*. The **bidirectional** tagger's "
        "a←\\<t\\> has already read the rest of the sentence, so its answers differ — and are "
        "right."),
    "directions": (
        "Columns are aligned per word: column t of the top map is a→\\<t\\> (it has read the "
        "words up to t), of the middle one a←\\<t\\> (the words from t to the end). ŷ\\<t\\> "
        "reads their concatenation [a→\\<t\\>, a←\\<t\\>]. The bottom chart splits the 'name' "
        "log-odds of ŷ\\<t\\> exactly into what W_y takes from each half: at *Teddy*, the "
        "green bar (a←) is what tells the two sentences apart; at *Roosevelt*, both halves "
        "usually agree."),
    "sweep": (
        "Press **▶ Play** (the animation runs in your browser). The forward sweep computes "
        "a→\\<1\\>, a→\\<2\\>, … in order (1)…(T_x); then the backward sweep starts at the "
        "end, a←\\<T_x\\>, and runs back to a←\\<1\\>. The number in a cell is when it was "
        "computed. No ŷ\\<t\\> can be produced before both sweeps have passed t, so a "
        "bidirectional RNN needs the **whole** sequence first: fine for tagging a written "
        "sentence, not for live speech."),
    "sensitivity": (
        "Row t (the output ŷ\\<t\\>, labelled on the left), column t' (the input "
        "x\\<t'\\>): how strongly the prediction ŷ\\<t\\> reacts to a change of the "
        "input word x\\<t'\\> (the norm of the Jacobian, computed exactly by back-propagating "
        "every output). On the default scale each row is divided by its largest entry, so a "
        "cell is the share of ŷ\\<t\\>'s strongest dependence (a confident softmax makes "
        "every raw norm tiny: the log and raw scales show them). For the **unidirectional** "
        "tagger everything right of the diagonal is exactly 0: ŷ\\<t\\> cannot depend on "
        "words it has not read. The **bidirectional** tagger fills the whole matrix. "),
    "sensitivity_yours": (
        "Row t, column t': how strongly ŷ\\<t\\> of your model reacts to the input "
        "x\\<t'\\> (the norm of the Jacobian), each row divided by its largest entry. A "
        "unidirectional model is exactly 0 right of the diagonal; a bidirectional one is not. "),
    "sensitivity_row": (
        "In the row of *{word}* (t = {t}) of the bidirectional model, the next word "
        "*{next}* (x\\<{t1}\\>) has {share:.2f} of the row's largest entry and *{word}* "
        "itself {own:.2f}: the colours of those two cells."),
    "sensitivity_one_word": "With one word there is no later word to depend on.",
    "future_help": "The largest S[t, t'] / max_t' S[t, t'] with t' > t: 0 when ŷ<t> reads "
                   "only x<1..t>; 1 when a later word counts as much as the most important one.",
    "models_after_yours": "The rest of the page uses the two shipped name taggers: they were "
                          "trained on the same data, one reading left to right only.",
    "yours_uni": (
        "This page needs a bidirectional model: {name} reads left to right only (a→ alone). "
        "Upload one built with bidirectional=True (e.g. nn.LSTM(..., bidirectional=True)) to "
        "see its a→<t>, a←<t> and sensitivity here. Below: the shipped pair."),
    "yours_no_tokens": "Your model finds no tokens in the sidebar's sentence: type one there.",
    "class_help": "W_y's row of this class minus the mean of the other rows: its score of "
                  "ŷ<t> is split exactly into what a→<t> and a←<t> add.",
    "yours_directions": (
        "The sidebar's sentence read by your model. Columns are aligned per token: column t of "
        "the top map is a→\\<t\\> (it has read x\\<1\\>…x\\<t\\>), of the middle "
        "one a←\\<t\\> (x\\<t\\>…x\\<T_x\\>); a stacked model shows its top layer. "
        "The bottom chart splits the chosen class's score of ŷ\\<t\\> exactly into what "
        "W_y takes from each half."),
    "yours_no_counterpart": (
        "To see a unidirectional model beside yours, upload one with the same vocabulary, task "
        "and labels (bidirectional=False) in the sidebar's panel; the sidebar can then switch "
        "back to this one. Until then your model's map is drawn alone."),
}

VANISHING = {
    "models_trained": "Three models on your sentence: the shipped char-lm-rnn, char-lm-gru "
                      "and char-lm-lstm, and, dashed, the sidebar's model.",
    "models_random": "Three models on your sentence: untrained networks with the same "
                     "vocabulary, n_a, init and seed (the sidebar's seed), and, dashed, the "
                     "sidebar's model.",
    "curves": (
        "Each curve starts at the right (t = T_x, where the loss is) and is read leftwards. A "
        "straight falling line on this log scale is an exponential decay: every step back "
        "multiplies the gradient by about the same factor, roughly ρ × g'(z) for an RNN. The "
        "LSTM's cell path c\\<t-1\\> → c\\<t\\> multiplies by Γf instead of a weight "
        "matrix, and the GRU's by (1 − Γu), so with the gates set right they carry the "
        "gradient much further. "),
    "trained": (
        "These are the shipped char LMs: the trained RNN's curve falls in a straight line, "
        "while the GRU and the LSTM learned to keep their gates open, so their curves flatten "
        "and far-back characters still reach the loss. Switch to random weights to play with "
        "ρ, n_a and the forget bias."),
    "random": (
        "With random weights the LSTM's forget bias b_f = 1 keeps Γf ≈ 0.73, while a random GRU "
        "has Γu ≈ 0.5 and halves its memory every step: it only learns to keep it in "
        "training."),
    "threshold": " The dotted lines mark 10⁻³ of each value at T_x.",
    "yours": ("The dashed curve is the sidebar's model, {name}: its own tokens of your "
              "sentence, repeated to the same T_x, the same measure and a<0> = 0; {target} "
              "{what}"),
    "yours_char_lm": "the loss at T_x has the next token as its target.",
    "yours_tagger": "the loss at T_x has the tag it ranks second as its target (as on the "
                    "Backward page; the curve's shape does not depend on which).",
    "yours_classifier": "the loss at T_x has the class it ranks second as its target (as on "
                        "the Backward page; the curve's shape does not depend on which).",
    "yours_layer": "It is stacked: the curve is its top layer's a^[L]<t>.",
    "yours_bi": "It is bidirectional: the curve is its forward sweep a→<t> (a←<t> has read "
                "x<T_x>…x<t>, so a loss at T_x reaches it only at T_x).",
    "yours_no_tokens": "The sidebar's model, {name}, finds no tokens in your sentence, so it "
                       "has no curve here: type a sentence it can read in the sidebar.",
    "clipping": (
        "Clipping acts on the whole gradient ∂L/∂θ after BPTT. **By global norm** rescales "
        "every entry by the same factor when the norm is above the threshold: the direction is "
        "kept (cosine = 1), only the step is shorter. **By value** (the course's `clip`) cuts "
        "each entry to ±threshold, which can change the direction (cosine < 1). Neither brings "
        "back a gradient that has already vanished: clipping fixes explosions, gates fix "
        "vanishing."),
}

FORWARD = {
    "diagram_gated": (
        "**Press ▶ Play** (or step with the slider): the boxes of the cell change colour as "
        "the gates open (yellow) and close (purple), and states turn red (positive) or blue "
        "(negative). The grey cover over the a\\<t\\> heatmap slides right: a\\<t\\> "
        "depends only on a\\<t-1\\> and x\\<t\\>, so nothing to the right of t has been "
        "read yet. The bars show ŷ\\<t\\>, the model's guess for the next token.\n\n"),
    "diagram_rnn": (
        "**Press ▶ Play** (or step with the slider): a vanilla RNN has no gates, only one "
        "tanh (or ReLU) of W_aa a\\<t-1\\> + W_ax x\\<t\\> + b_a; states turn red "
        "(positive) or blue (negative). The grey cover over the a\\<t\\> heatmap slides "
        "right: a\\<t\\> depends only on a\\<t-1\\> and x\\<t\\>, so nothing to the "
        "right of t has been read yet. The bars show ŷ\\<t\\>, the model's guess for the next "
        "token.\n\n"),
    "equations": (
        "**The equations** split each pre-activation into what comes *from memory* "
        "(W·a a\\<t-1\\>), *from the input* (W·x x\\<t\\>, one column of W·x because "
        "x\\<t\\> is one-hot) and the bias. "),
    "start_zero": "At t = 1, a\\<t-1\\> = a\\<0\\> = 0, so only the input and the bias count.",
    "start_primed": "This model is primed: a\\<0\\> is its state after reading the start "
                    "symbol, as in training.",
    "forget_bias": " The LSTM's forget bias b_f starts at 1, so Γf starts near σ(1) ≈ 0.73.",
    "shapes": (
        "One example (m = 1) of T_x = {T} steps. Every step uses the **same** weights: the "
        "parameter count does not grow with the sentence. Stacking [a\\<t-1\\>; x\\<t\\>] "
        "lets one matrix per gate, W_g = [W_ga | W_gx], do both products (a vanilla RNN has "
        "one, W_a = [W_aa | W_ax]), as in the course notes."),
}

UNITS = {
    "caption": (
        "Karpathy, Johnson and Fei-Fei (2015) and LSTMVis (Strobelt et al.) asked it at corpus "
        "scale: which units follow a feature of the text, which switch on over a phrase, and "
        "where else they do."),
    "method": {"streams": ", read as {streams} parallel streams with a {warmup}-token warm-up "
                          "each", "lines": ", one line at a time"},
    "own_error": "Your text cannot be used: {error} The page reads the held-out text instead.",
    "own_waiting": ("Upload or paste a text your model should read (text like the one it was "
                    "trained on); until then the page reads the held-out text."),
    "paint_over": {"sentence": "the sidebar sentence", "corpus": "a stretch of the corpus"},
    "corpora": {"heldout": "held-out text (first {n:,} characters)",
                "heldout_all": "all the held-out text (slower the first time)",
                "sentence": "the sidebar sentence", "own": "my own text (paste or upload)"},
    "interpretable": (
        "For each feature of the token read at step t, the 3 units whose {symbol} follows it "
        "best over {N:,} steps (Pearson r: +1 rises with the feature, −1 falls with it, 0 "
        "ignores it). A unit with |r| ≥ 0.8 is one you can read: paint the text with it (next "
        "tab). Most units have |r| < 0.3 for every simple feature: they do many things at "
        "once."),
    "finding": (
        "Measured now on the held-out docstrings (text none of them trained on), the unit that "
        "best follows *the position in the line*: {parts} (a GRU's c\\<t\\> is its a\\<t\\>). "),
    "finding_gated": (
        "The gated cells learned to count characters since the last newline; the vanilla RNN "
        "did not: its state forgets within a few dozen characters."),
    "finding_open": "Compare the bars: which cell keeps a count over a whole line?",
    "finding_hover": (
        " Hover a bar for the unit and its r. Features like *is_space* need no memory at all, "
        "so every cell scores on them."),
    "paint": (
        "Each character's background is unit {unit}'s {symbol} right after reading it: red "
        "above, blue below {centre}. Hover for t and the value. "),
    "paint_strongest": "Over the corpus this unit follows **{feature}** best (r = {r:+.2f}). ",
    "paint_examples": (
        "A line-position unit brightens along each line and resets at ↵; a bracket unit lights "
        "up between ( and )."),
    "selected": (
        "The units whose {symbol} is at least the threshold at every step of the shaded span "
        "and below it just before and just after (LSTMVis's selection). Few units and a long "
        "span: a specific pattern. No unit at all: lower the threshold or move the span."),
    "none_on": "No unit is on over exactly this span at this threshold.",
    "none_on_nearest": (
        " The nearest threshold at which one is: **{threshold:.2f}**, unit(s) {units}; set the "
        "threshold there to search for them."),
    "none_on_set": "Set the threshold to {threshold:.2f}",
    "none_on_most": (
        " Units at or above the threshold over most of the span: {units}; move the span to "
        "where they switch on and off."),
    "pick_one": "Pick at least one unit to search for.",
    "ends": {"all": "every unit is off (strict)", "any": "one unit is off (looser)"},
    "matches": (
        "**{n:,} match(es)** of {units} unit(s) in the corpus ({N:,} steps); the 20 most "
        "telling:"),
    "score": (
        "Score = how many standard deviations above its corpus mean each unit sits over the "
        "match, shared out among all the units that switch on and off there."),
    "matched_texts": "The texts matched most often, best mean score first:",
    "selected_title": (
        "**{n} unit(s)** whose {symbol} is ≥ {threshold:g} over t = {start}…{end} and below it "
        "just outside:"),
    "selected_none_title": "No unit's {symbol} is ≥ {threshold:g} over exactly t = {start}…{end}:",
    "unknown": (
        "**This corpus does not suit the model:** {share:.0%} of its tokens are not in the "
        "model's vocabulary and are all read as {unk}, so its units say little here. Choose "
        "*my own text* and paste or upload text like the model's training text."),
    "session_heldout": (
        "Your model did not learn from this held-out text (it is the shipped models' test "
        "text). For units you can name, choose *my own text* and paste or upload text like "
        "your model's training text."),
    "constant": (
        "— : no r. {features} never change(s) over this corpus (r divides by the spread of "
        "the feature, 0 here); a corpus that has them gives them an r."),
    "features_title": "What each feature is",
    "best_title": "Best |r| per feature: one unit per shipped char LM and feature",
    "best_yours": (
        "These bars compare the three shipped char LMs on the held-out docstrings; your "
        "model's own best units over your corpus are in the table above."),
    "compare_title": (
        "Sentence A vs B: the distance of {symbol} per aligned step (top) and the units that "
        "differ most (bottom)"),
    "saturation_title": (
        "Gate saturation: the fraction of steps each unit's gate is closed (< 0.1) vs open "
        "(> 0.9)"),
    "no_match": (
        "No match: with several units the strict pattern is rare. Search for fewer units, or "
        "let a match end where one unit is off."),
    "search": (
        "Every stretch of the corpus where the same units switch on together and off at both "
        "ends. If they track a concept (inside a string, a keyword, the end of a word), the "
        "matches share it; if the matches look random, the units share nothing you can name."),
    "compare": (
        "Top: how far apart a\\<t\\> of the two sentences is at each aligned step (tokens the "
        "other sentence lacks leave a gap). Before the first difference the distance is 0: "
        "same input, same state. After it, a model that *remembers* keeps the distance up "
        "until the words that need it (\"was\" / \"were\"); one that forgets lets it fall. "
        "Bottom: the units that differ most, A solid, B dotted."),
    "saturation": (
        "Each dot is one unit of one gate over {n:,} held-out characters: right = often closed "
        "(< 0.1), up = often open (> 0.9), on the dotted diagonal = always one or the other. "
        "Karpathy et al. found LSTM forget gates that stay open (> 0.9) most of the time: units "
        "that remember. The RNN has no gates: its panel shows how often a\\<t\\> = tanh(…) sits "
        "near −1 (< −0.9, right) or +1 (> 0.9, up), where its derivative 1 − a² is almost 0 "
        "and the gradient vanishes."),
}

TRAINING = {
    "caption": (
        "The course motivates GRUs and LSTMs with long-range agreement: \"The cat, which "
        "already ate …, was full\" against \"The cats, which already ate …, were full\". "
        "Train the three cells side by side and see what happens, with the same seed, "
        "init, data and budget for each."),
    "help": {
        "L_mode": "Words between the subject and the verb: one L for every sentence, or a new "
                  "L drawn for every batch.",
        "attractors": "\"The cat near the dogs … was\": the held-out sentences have this many "
                      "nouns of the other number in the clause; in training these nouns take a "
                      "random number.",
        "init": "Xavier, orthogonal and normal set the recurrent blocks W_aa (W_ax is Xavier, "
                "b = 0). PyTorch default draws every W and b as nn.RNN/GRU/LSTM do, from "
                "U(−1/√n_a, 1/√n_a); each b is the sum of torch's two biases b_ih + b_hh, and "
                "the LSTM's b_f gets the forget bias below on top (0 = torch exactly).",
        "forget_bias": "Γf = σ(… + b_f) at the start: b_f = 1 keeps 73% of c<t-1> per step. "
                       "Only the LSTM has this bias.",
        "seed": "The same for every cell. Near the edge of what a cell can learn, the outcome "
                "changes from seed to seed: try two or three before trusting one run.",
        "use": "Adds it to the sidebar's model list for this session and selects it there.",
    },
    "too_many_attractors": "{k} attractors do not fit in a clause of {L} words: using {L}.",
    "example": "An example (held-out style): “{sentence} → **{verb}**”",
    "text_source": "{n:,} characters from {source}; the last 10% are held out.",
    "start": (
        "Press **Train** to start. The default run (agreement, L = {L}, {steps} steps per "
        "cell) trains the three cells in turn, one step each; the progress bar shows steps per "
        "second and the time left. Every run stops after {wall:.0f} s of work."),
    "da_initial": (
        "Before any training: how far back the loss at the verb reaches into each freshly "
        "initialised cell, on the probe sentences. This is where every run starts; the live "
        "view shows how training changes it."),
    "queued": ("Waiting: number {position} in the queue ({running} runs are training on this "
               "server; at most {most} at a time)."),
    "loss": {
        "accuracy": (
            "One curve per cell, all trained on the same batches. Direct objective: the loss "
            "is −log P(correct verb), ln 2 ≈ 0.69 at chance; a cell whose curve drops to ~0 "
            "has found the subject's number. Language model: the mean over every word, mostly "
            "filler words drawn uniformly from {n}, so it cannot go much below ln {n} ≈ "
            "{floor:.2f}; the verb is one word of many, so watch the accuracy instead."),
        "bpc": "One curve per cell, all trained on the same chunks: nats per character.",
    },
    "metric": {
        "accuracy": (
            "Accuracy on held-out sentences (never trained on), at the verb. 50% is a coin "
            "flip: a cell stuck there has not carried the subject's number across the clause."),
        "bpc": (
            "Bits per character on the held-out last 10% of the text. The dashed line is a "
            "Kneser-Ney 5-gram fitted on the same training part: below it, the network knows "
            "more than the last four characters."),
    },
    "da_now": (
        "The gradient of the loss at the last step (the verb) with respect to each a\\<t\\>, "
        "on a fixed probe batch. Read it from the right: the further left it stays high, the "
        "further back the loss can change what the cell stores. Where it has fallen by orders "
        "of magnitude before t = 2 (the subject), the subject gets almost no training signal."),
    "da_heatmap": (
        "Each row is one snapshot during training, the colour log₁₀ of the norm above (one "
        "scale for all cells). Bright columns reaching the left edge: the gradient reaches the "
        "subject. Watch whether a cell's rows brighten on the left as it learns (gates "
        "opening) or stay dark (vanishing)."),
    # The measured part comes from `nice -n 10 python benchmarks/agreement.py` (seed 0) and
    # `... --seed 1 --attractors 0`: update it when the defaults or the core change.
    "literature": (
        "**What the literature finds.** Linzen, Dupoux & Goldberg (2016, \"Assessing the "
        "ability of LSTMs to learn syntax-sensitive dependencies\") trained LSTMs on the verbs "
        "of Wikipedia sentences: with direct singular/plural supervision the errors were under "
        "1% overall, grew with the number of *attractors* (nouns of the other number between "
        "the subject and the verb), and grew sharply when the same network was trained only "
        "as a language model.\n\n"
        "**What we measured on this page's sentences** (`benchmarks/agreement.py`, the default "
        "settings, 400 steps, seeds 0 and 1, no attractors): with direct supervision all three "
        "cells learned L ≤ 20 with both seeds; at L = 40 exactly one cell learned it, and "
        "which one depended on the seed (the LSTM with seed 0, the RNN with seed 1); at L = 80 "
        "none did. Trained as a language model, the RNN failed from L = 20 and the LSTM from "
        "L = 20 or 40, while the GRU learned L ≤ 40 with both seeds and L = 80 with one: here "
        "the language-model objective held the GRU back least. With two attractors (seed 0) "
        "the results were erratic: a cell that failed at one distance succeeded at a longer "
        "one. So the course's simple story, that the RNN forgets and the gated cells remember, "
        "holds only in part and not at every setting: use the sweep and a second seed before "
        "concluding."),
    "downloads": (
        "The .npz holds the parameters under the API's key names, which this page's notes "
        "write as the course does: the API's `Wi`, `bi` are the LSTM's W_u, b_u (the update "
        "gate Γu), `Wf`, `Wo`, `Wc` are W_f, W_o, W_c, the RNN's `Wax`, `Waa` are W_ax, W_aa "
        "and `Wy` is W_y; plus `_config` and `_card` as JSON strings. The .safetensors file has "
        "torch's key names and layout (nn.Embedding + nn.RNN/nn.LSTM + nn.Linear; the "
        "vocabulary is in its metadata); the course's GRU applies Γr before the recurrent "
        "product, which nn.GRU cannot, so it has no .safetensors."),
    "sweep": (
        "Trains every chosen cell at L ∈ {distances} with this run's other settings ({steps} "
        "steps each, {runs} runs); stops at the per-run time limit of {wall:.0f} s with the "
        "points done so far."),
    "sweep_stopped": "Sweep stopped: {status}. The points done so far are shown.",
    "sweep_chart": (
        "One training run per point, same settings for every cell. A cell that falls to 50% "
        "has stopped carrying the subject's number that far within this budget; the distance "
        "where the cells part (if they do) is the regime the course's argument is about."),
}

# One line under the sidebar's model summary, for a model whose head reads torch's h_n.
READOUT_H_N = (
    "Bidirectional classifier: its output ŷ\\<T_x\\> reads h_n = [a→\\<T_x\\>; a←\\<1\\>] "
    "(as in torch); ŷ\\<t\\> before T_x reads [a→\\<t\\>; a←\\<t\\>], only an illustration "
    "(a← has already read the whole text).")


def heatmap_note(key: str, is_random: bool, closed: tuple | None = None) -> str:
    """The "what to look for" of the Activations heatmap of trace key `key`; `closed`: the
    shares of units with Γf < 0.1 at spaces and elsewhere (`figures.activations.closed_share`),
    for the forget gate."""
    base, direction = split_key(key)
    note = ACTIVATIONS["heatmap"].get(base, "") + (ACTIVATIONS["direction"][direction]
                                                   if direction else "")
    if base == "a":
        note += ACTIVATIONS["a_random" if is_random else "a_trained"]
    if closed is not None and None not in closed:
        note += (f" On this sentence {closed[0]:.0%} of the units have Γf < 0.1 at the "
                 f"spaces and {closed[1]:.0%} at the other steps.")
    return note
