package scoring

import (
	"context"
	"errors"
	"fmt"
)

// ErrTooFewExamples is returned (wrapped) by Train when a class has fewer
// than MinClassExamples rows on either side of the split: the metrics would
// be noise.
var ErrTooFewExamples = errors.New("too few examples to train")

// MinClassExamples is the fewest converted and not-converted rows Train
// accepts in each of the training and holdout sets.
const MinClassExamples = 20

// Example is one lead whose outcome is known.
type Example struct {
	Features  Features
	Converted bool
}

// TrainResult is a trained model and its holdout predictions, in the
// examples' order, for plots the metrics do not capture.
type TrainResult struct {
	Model   *Model
	Holdout []Prediction
}

// featureSpecs is the feature engineering. The first choices were made on
// holdouts; every one since was made by 5-fold stratified cross-validation
// inside the seed-1 training split and checked on the holdouts of seeds
// 2-8, never on the seed-1 holdout the quality test asserts.
// bench/README.md ("Model search") gives what each earned and what was
// tried and dropped.
//   - Every numeric field gets a standardised linear term.
//   - Age and campaign contacts also get quantile bins. Previous contacts
//     are 86% zeros, so their bins would collapse; the linear term stays.
//   - The macro indicators take a few dozen values, one per month (euribor:
//     per week or so) of the campaign, and the period matters more than the
//     level: each common value gets a level of its own (levelMin rows).
//   - Euribor values too rare for a level (days with few calls, which
//     converted far more often) share one with their rare neighbours rather
//     than with the common value below (rareBins).
//   - Counts and durations, whose effect flattens, are taken as log1p.
//
// A missing-value indicator exists only when the training data has missing
// values, since otherwise it cannot be learnt.
var featureSpecs = [numNumeric]numericSpec{
	numAge:               {bins: 8},
	numLastCallDuration:  {log: true, bins: 10},
	numCampaignContacts:  {log: true, bins: 4},
	numDaysSincePrevious: {},
	numPreviousContacts:  {},
	numEmpVarRate:        {levelMin: 50},
	numConsPriceIdx:      {levelMin: 50},
	numConsConfIdx:       {levelMin: 50},
	numEuribor3m:         {levelMin: 20, rareBins: true},
	numNrEmployed:        {levelMin: 50},
}

// Train fits a model on a split of examples and evaluates it on the rest.
// The returned model is the one fitted on the training rows only (see
// Model). It returns ErrInvalidOptions or ErrTooFewExamples, wrapped, or
// ctx's error once ctx is done: the fit checks it at every iteration, so a
// training nobody waits for any more stops within one pass over the rows.
func Train(ctx context.Context, examples []Example, opts Options) (*TrainResult, error) {
	return train(ctx, examples, opts, defaultConfig)
}

// trainConfig is the feature engineering Train applies beyond Options.
type trainConfig struct {
	specs        [numNumeric]numericSpec
	interactions []interactionSpec
}

var defaultConfig = trainConfig{specs: featureSpecs, interactions: featureInteractions}

// featureInteractions are the pairwise interactions kept (chosen as
// featureSpecs were). cons_price_idx takes one value per month of the
// campaign and nr_employed one per quarter, so these are period effects
// that differ by contact channel (CV Brier -0.00030, AUC +0.0022) and by how
// often the client was called this campaign (CV Brier -0.00005, AUC
// +0.0014). Pairs seen fewer than 20 times in training get no column. No
// interaction may have cells that are single calling days (weekday by
// euribor, say): it would learn a day's outcome from other calls that day,
// which a random split rewards and new leads cannot use.
var featureInteractions = []interactionSpec{
	{"contact_channel", "cons_price_idx", 20},
	{"campaign_contacts", "nr_employed", 20},
}

func train(ctx context.Context, examples []Example, opts Options, cfg trainConfig) (*TrainResult, error) {
	opts, err := opts.resolved()
	if err != nil {
		return nil, err
	}
	y := make([]bool, len(examples))
	for i := range examples {
		y[i] = examples[i].Converted
	}
	trainIdx, testIdx := split(y, opts)
	if err := checkClasses(y, trainIdx, "training"); err != nil {
		return nil, err
	}
	if err := checkClasses(y, testIdx, "holdout"); err != nil {
		return nil, err
	}
	m, holdout, err := fitHoldout(ctx, examples, trainIdx, testIdx, opts, cfg)
	if err != nil {
		return nil, err
	}
	m.Metrics = Evaluate(holdout, opts.Thresholds)
	m.Metrics.NTrain, m.Metrics.NTest = len(trainIdx), len(testIdx)
	pos := 0
	for _, v := range y {
		if v {
			pos++
		}
	}
	m.Metrics.PositiveRate = float64(pos) / float64(len(y))
	return &TrainResult{Model: m, Holdout: holdout}, nil
}

// fitHoldout fits a model, without metrics, on the examples at trainIdx and
// predicts those at testIdx, in that order.
func fitHoldout(ctx context.Context, examples []Example, trainIdx, testIdx []int, opts Options, cfg trainConfig) (*Model, []Prediction, error) {
	rows := make([]Encoded, len(trainIdx))
	ys := make([]bool, len(trainIdx))
	for k, i := range trainIdx {
		Encode(&examples[i].Features, &rows[k])
		ys[k] = examples[i].Converted
	}
	m, err := fitModel(ctx, rows, ys, opts, cfg)
	if err != nil {
		return nil, nil, err
	}
	s, err := m.Compile()
	if err != nil {
		return nil, nil, fmt.Errorf("compile trained model: %w", err)
	}
	holdout := make([]Prediction, len(testIdx))
	for k, i := range testIdx {
		holdout[k] = Prediction{P: s.Probability(&examples[i].Features), Y: examples[i].Converted}
	}
	return m, holdout, nil
}

// fitModel fits a model, without metrics, on encoded training rows.
func fitModel(ctx context.Context, rows []Encoded, ys []bool, opts Options, cfg trainConfig) (*Model, error) {
	var excluded [numNumeric]bool
	excluded[numLastCallDuration] = !opts.IncludeCallDuration
	enc := fitEncoding(rows, cfg.specs, excluded)
	enc.Interactions = fitInteractions(&enc, rows, cfg.interactions)
	intercept, coef, err := fitLogistic(ctx, buildDesign(&enc, rows), ys, opts.L2)
	if err != nil {
		return nil, err
	}
	return &Model{
		Algorithm:    Algorithm,
		Options:      opts,
		Encoding:     enc,
		FeatureNames: enc.FeatureNames(),
		Intercept:    intercept,
		Coefficients: coef,
		Thresholds:   opts.Thresholds,
	}, nil
}

func checkClasses(y []bool, idx []int, side string) error {
	var pos int
	for _, i := range idx {
		if y[i] {
			pos++
		}
	}
	if neg := len(idx) - pos; pos < MinClassExamples || neg < MinClassExamples {
		return fmt.Errorf("%w: %s set has %d converted and %d not converted, need %d of each",
			ErrTooFewExamples, side, pos, neg, MinClassExamples)
	}
	return nil
}
