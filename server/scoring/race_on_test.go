//go:build race

package scoring

// raceDetector is set under -race, where training runs about ten times
// slower; the quality test then trims itself to one split.
const raceDetector = true
