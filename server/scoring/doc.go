// Package scoring predicts how likely a lead is to convert, explains the
// prediction and measures the model. It is pure: no SQL, HTTP, clock or
// mutable global state, so the same examples and options always give the
// same model, byte for byte.
//
// The rules:
//
//   - The model is L2-regularised logistic regression fitted with gonum's
//     L-BFGS on an analytic gradient; the intercept is not penalised.
//   - Categorical fields are one-hot encoded over their full API
//     enumeration. "unknown", a missing value and an unrecognised value are
//     one and the same level. A level training never saw is scored as the
//     field's training-average effect.
//   - Numeric fields get a standardised linear term (mean and standard
//     deviation from the training rows; values clamped to the training
//     range) and, where it earned its keep on the holdout, bins. A missing
//     number gets a learnt "missing" column if training had missing values,
//     and otherwise the field's training-average effect, which for the
//     linear term is imputation by the training mean.
//   - A few pairwise interactions (Encoding.Interactions) one-hot encode
//     pairs of levels or bins seen often enough in training, such as the
//     contact channel by campaign month; rarer pairs are left to the two
//     fields' own terms. Features are chosen by cross-validation inside the
//     training split, not on the holdout whose figures are reported.
//   - days_since_previous_contact nil means never contacted (UCI's 999) and
//     is a learnt level of its own, not a missing value.
//   - last_call_duration_sec is left out unless Options.IncludeCallDuration:
//     it is only known after the call.
//   - Train holds out a fraction of the examples (stratified at random with
//     a fixed seed, or the newest rows) and stores the model fitted on the
//     rest, so the metrics stored with it come from rows it never saw.
//   - Calibration bins are ten equal-frequency bins of the predicted
//     probability.
//   - Scoring compiles a model into lookup tables (Model.Compile) and does
//     not allocate per lead. Explanations give one factor per API field,
//     relative to the average training lead, and add up exactly to the logit
//     (an interaction's part is shared equally by its two fields).
package scoring
