package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/scoring"
	"github.com/jmksales/jmk/server/scoring/report"
)

var cliActor = audit.Actor{Name: "jmk model"}

func cmdModel(ctx context.Context, e env) error {
	usage := "Usage: jmk model train [--include-duration] [--split stratified|time] [--holdout F] [--seed N] [--activate] [--report FILE.png]\n" +
		"       jmk model list\n       jmk model activate VERSION\n\n(jmk model SUBCOMMAND --help for more)"
	if len(e.args) == 0 {
		fmt.Fprintln(e.stderr, usage)
		return errors.New("model: expected train, list or activate")
	}
	switch e.args[0] {
	case "train":
		return modelTrain(ctx, e)
	case "list":
		return modelList(ctx, e)
	case "activate":
		return modelActivate(ctx, e)
	}
	if isHelp(e.args[0]) {
		fmt.Fprintln(e.stdout, usage)
		return nil
	}
	fmt.Fprintln(e.stderr, usage)
	return fmt.Errorf("model: unknown subcommand %q", e.args[0])
}

func modelTrain(ctx context.Context, e env) error {
	fs := newFlags(e, "model train", "[flags]",
		"Trains a model on every closed lead (success or failed), stores it as a new version and prints\n"+
			"its holdout metrics. It is not used for scoring until activated.")
	dur := fs.Bool("include-duration", false, "use last_call_duration_sec (known only after the call)")
	split := fs.String("split", scoring.SplitStratified, "holdout split: stratified (random, fixed seed) or time (newest leads)")
	holdout := fs.Float64("holdout", scoring.DefaultHoldoutFraction, "fraction of labelled leads held out for the metrics, at least 0.05 and under 0.5")
	seed := fs.Int64("seed", scoring.DefaultSeed, "seed of the stratified split, 1 to 2^53-1")
	activate := fs.Bool("activate", false, "activate the new model and re-score every lead")
	png := fs.String("report", "model-report.png", "write ROC, calibration and lift plots to this PNG (empty: none)")
	if help, err := fs.parse(e.args[1:], 0); help || err != nil {
		return err
	}
	// As POST /scoring/models (NaN fails too).
	if !(*holdout >= scoring.MinHoldoutFraction && *holdout < scoring.MaxHoldoutFraction) {
		return fs.fail(fmt.Errorf("model train: --holdout must be at least %g and under %g, not %g", scoring.MinHoldoutFraction, scoring.MaxHoldoutFraction, *holdout))
	}
	if *seed < 1 || *seed > scoring.MaxSeed {
		return fs.fail(fmt.Errorf("model train: --seed must be from 1 to 2^53-1, not %d", *seed))
	}
	if *split != scoring.SplitStratified && *split != scoring.SplitTime {
		return fs.fail(fmt.Errorf("model train: --split must be %s or %s, not %q", scoring.SplitStratified, scoring.SplitTime, *split))
	}
	if *split == scoring.SplitTime && fs.isSet("seed") {
		return fs.fail(errors.New("model train: --seed is used only with --split stratified: leave it out with --split time"))
	}
	// - is standard input or output elsewhere (import, export -o); here the
	// metrics go to standard output, and a file named - would surprise.
	if *png == "-" {
		return fs.fail(errors.New("model train: --report must name a file: standard output gets the metrics table"))
	}
	// The report's file is created first, so that a path that cannot be
	// written fails before a model version is stored. It replaces FILE
	// only once written: a failure leaves an existing FILE as it was.
	var rep *outputFile
	if *png != "" {
		f, err := createOutput(*png, 0o644)
		if err != nil {
			return fmt.Errorf("model train: report: %w", err)
		}
		rep = f
		defer rep.abort()
	}
	st, closeDB, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	res, err := st.ModelTrain(ctx, scoring.Options{IncludeCallDuration: *dur, Split: *split, HoldoutFraction: *holdout, Seed: *seed})
	if err != nil {
		return fmt.Errorf("model train: %w (nothing was stored)", err)
	}
	info, err := st.ModelSave(ctx, cliActor, res.Model, *activate)
	if err != nil {
		return fmt.Errorf("model train: %w (nothing was stored)", err)
	}
	// The report is written before anything is printed: a reader that
	// stops early (jmk model train | head) ends the process at the next
	// write, which would leave the stored model without its report.
	var repErr error
	if rep != nil {
		repErr = report.WritePNG(rep, fmt.Sprintf("Model v%d: %s", info.Version, describeOptions(res.Model.Options)), res.Model, res.Holdout)
		if repErr == nil {
			repErr = rep.commit()
		}
	}
	if *activate {
		fmt.Fprintf(e.stdout, "model v%d trained and activated\n", info.Version)
		durationNote(e.stdout, res.Model.Options)
	} else {
		fmt.Fprintf(e.stdout, "model v%d trained (not active: jmk model activate %d)\n", info.Version, info.Version)
	}
	printMetrics(e.stdout, res.Model)
	if repErr != nil {
		// Said plainly, so that nobody trains again for a lost picture.
		stored := "stored"
		if *activate {
			stored = "stored and activated"
		}
		return fmt.Errorf("model train: model v%d is %s; only its report failed: %w", info.Version, stored, repErr)
	}
	if rep != nil {
		fmt.Fprintf(e.stdout, "report: %s\n", *png)
	}
	return nil
}

// describeOptions says in a few words how a model was trained.
func describeOptions(o scoring.Options) string {
	duration := "call duration excluded"
	if o.IncludeCallDuration {
		duration = "call duration included"
	}
	split := o.Split
	if o.Split == scoring.SplitStratified {
		split += fmt.Sprintf(" (seed %d)", o.Seed)
	}
	return fmt.Sprintf("%s holdout %s, %s", split, percent(o.HoldoutFraction), duration)
}

// percent writes a fraction as a percentage without rounding it to a value
// it is not: 0.4999999 is 49.99999%, not 50%.
func percent(f float64) string {
	return strconv.FormatFloat(100*f, 'g', 10, 64) + "%"
}

// printMetrics prints the holdout metrics a person needs to judge a model.
func printMetrics(w io.Writer, m *scoring.Model) {
	mt := m.Metrics
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "options\t%s\n", describeOptions(m.Options))
	fmt.Fprintf(tw, "train / test\t%d / %d (converted: %.3f of all labelled leads)\n", mt.NTrain, mt.NTest, mt.PositiveRate)
	fmt.Fprintf(tw, "ROC AUC\t%.4f\n", mt.AUC)
	fmt.Fprintf(tw, "Brier\t%.4f\n", mt.Brier)
	fmt.Fprintf(tw, "log loss\t%.4f\n", mt.LogLoss)
	fmt.Fprintf(tw, "lift, top decile\t%.2f\n", mt.LiftTopDecile)
	fmt.Fprintf(tw, "largest calibration gap\t%s\n", calibrationGap(mt.Calibration))
	tw.Flush()
	fmt.Fprintln(w, "\ncalibration (equal-frequency deciles):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "bin\tfrom\tto\tcount\tpredicted\tobserved\t")
	for _, b := range mt.Calibration {
		fmt.Fprintf(tw, "%d\t%.3f\t%.3f\t%d\t%.3f\t%.3f\t\n", b.Bin, b.Lower, b.Upper, b.Count, b.MeanPredicted, b.ObservedRate)
	}
	tw.Flush()
	fmt.Fprintf(w, "\ncategories (hot >= %g, warm >= %g):\n", m.Thresholds.Hot, m.Thresholds.Warm)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "category\tleads\tpredicted\tobserved\t")
	for _, c := range mt.Categories {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t\n", c.Category, c.Count, rateOf(c.Count, c.MeanPredicted), rateOf(c.Count, c.ObservedRate))
	}
	tw.Flush()
	fmt.Fprintln(w, "\ncut-offs (holdout leads predicted at or above each):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "cut-off\tleads\tshare\tobserved\tconversions\t")
	for _, c := range mt.Cutoffs {
		fmt.Fprintf(tw, "%.2f\t%d\t%.3f\t%s\t%.3f\t\n", c.Cutoff, c.Count, c.ShareOfLeads, rateOf(c.Count, c.ObservedRate), c.ShareOfConversions)
	}
	tw.Flush()
}

// calibrationGap is the largest gap between predicted and observed rates
// over the deciles of at least scoring.CalibrationMinLeads holdout leads,
// which a small holdout has none of.
func calibrationGap(bins []scoring.CalibrationBin) string {
	gap, ok := scoring.CalibrationGap(bins)
	if !ok {
		return fmt.Sprintf("- (no decile of %d leads)", scoring.CalibrationMinLeads)
	}
	return fmt.Sprintf("%.4f (deciles of at least %d leads)", gap, scoring.CalibrationMinLeads)
}

// rateOf formats a rate over count leads; over none there is no rate (the
// metrics hold 0, which would read as "never converts").
func rateOf(count int, r float64) string {
	if count == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", r)
}

func modelList(ctx context.Context, e env) error {
	fs := newFlags(e, "model list", "", "Lists the model versions, newest first, with their holdout metrics.")
	if help, err := fs.parse(e.args[1:], 0); help || err != nil {
		return err
	}
	st, closeDB, err := openExistingStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	rows, err := st.ModelList(ctx)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.stdout, "no models yet: jmk model train makes one (it needs leads closed as success or failed)")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tACTIVE\tTRAINED\tAUC\tBRIER\tN_TEST\tOPTIONS")
	for _, r := range rows {
		var (
			m    scoring.Metrics
			opts scoring.Options
		)
		if err := json.Unmarshal(r.Metrics, &m); err != nil {
			return fmt.Errorf("model list: v%d's metrics: %w", r.Version, err)
		}
		if err := json.Unmarshal(r.Options, &opts); err != nil {
			return fmt.Errorf("model list: v%d's options: %w", r.Version, err)
		}
		// Never empty, so that the columns split on spaces alike on
		// every row into the same fields (for awk, say).
		active := "no"
		if r.Active {
			active = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.4f\t%.4f\t%d\t%s\n", r.Version, active, r.TrainedAt.Format("2006-01-02 15:04"),
			m.AUC, m.Brier, m.NTest, describeOptions(opts))
	}
	return tw.Flush()
}

func modelActivate(ctx context.Context, e env) error {
	fs := newFlags(e, "model activate", "VERSION",
		"Makes a model version the active one and re-scores every lead with it.")
	if help, err := fs.parse(e.args[1:], 1); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fs.fail(errors.New("model activate: expected one VERSION"))
	}
	v, err := strconv.ParseInt(fs.Arg(0), 10, 32)
	if err != nil || v < 1 {
		return fmt.Errorf("model activate: %q is not a model version", fs.Arg(0))
	}
	st, closeDB, err := openExistingStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	a, err := st.ModelActivate(ctx, cliActor, int32(v))
	if errors.Is(err, apperr.ErrNotFound) {
		return fmt.Errorf("model activate: %w (jmk model list shows the versions)", err)
	}
	if err != nil {
		return fmt.Errorf("model activate: %w (the active model and the scores are as they were)", err)
	}
	info := a.Model
	if a.AlreadyActive {
		fmt.Fprintf(e.stdout, "model v%d was already active; nothing re-scored\n", info.Version)
		return nil
	}
	fmt.Fprintf(e.stdout, "model v%d active; %d leads re-scored\n", info.Version, a.Rescored)
	// The activation is done: options that cannot be read cost the note only.
	var opts scoring.Options
	if err := json.Unmarshal(info.Options, &opts); err != nil {
		fmt.Fprintf(e.stderr, "model activate: warning: v%d's options unreadable: %v\n", info.Version, err)
	}
	durationNote(e.stdout, opts)
	return nil
}

// durationNote warns, on activating a model that uses the call's duration,
// that it cannot rank leads before their call.
func durationNote(w io.Writer, o scoring.Options) {
	if o.IncludeCallDuration {
		fmt.Fprintln(w, "note: this model uses last_call_duration_sec, known only after a call; leads without one "+
			"get the duration's average effect over the training leads, so it does not rank leads before calling "+
			"(activate a model trained without --include-duration for that)")
	}
}
