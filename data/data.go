// Package data holds the data files embedded in the jmk binary, so the demo
// seed and the scoring-quality test work on any machine without a checkout of
// the shared data directory, and the synthetic people (Person) the demo seed
// and the benchmarks name their leads with.
//
// UCIBankMarketing is the UCI Bank Marketing dataset ("bank-additional-full",
// 41,188 calls, May 2008 - Nov 2010), shipped gzipped and unchanged otherwise.
// Licence: CC BY 4.0. Attribution, to keep with any copy or sample:
// S. Moro, P. Cortez and P. Rita. A Data-Driven Approach to Predict the Success
// of Bank Telemarketing. Decision Support Systems 62:22-31, June 2014. UCI
// Machine Learning Repository, Bank Marketing dataset.
package data

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
)

// The file is stored compressed (about 350 KB instead of 5.8 MB) and
// decompressed on the fly: it is read once per seed or test, never hot.
//
//go:embed bank-additional-full.csv.gz
var bankGz []byte

// UCIBankMarketingRows is the number of data rows (calls) in the UCI file,
// not counting its header line.
const UCIBankMarketingRows = 41188

// UCIBankMarketing returns the UCI Bank Marketing CSV exactly as published:
// semicolon-separated, strings quoted, a header line
// ("age";"job";...;"y") and UCIBankMarketingRows data rows. Each call returns
// a fresh stream; the caller must close it. An error means the embedded file
// is corrupt, which is a build defect.
func UCIBankMarketing() (io.ReadCloser, error) {
	zr, err := gzip.NewReader(bytes.NewReader(bankGz))
	if err != nil {
		return nil, fmt.Errorf("data: embedded UCI bank marketing file: %w", err)
	}
	return zr, nil
}
