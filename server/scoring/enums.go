package scoring

// The enumerations of the API's categorical lead fields, in the spec's
// order (server's TestSpecEnums holds them to it). The CSV reader accepts
// them; they are read-only by convention, because the scorer's level tables
// are laid out in this order.
var (
	Jobs = []string{
		"admin", "blue_collar", "entrepreneur", "housemaid", "management", "retired",
		"self_employed", "services", "student", "technician", "unemployed", "unknown",
	}
	MaritalStatuses = []string{"married", "single", "divorced", "unknown"}
	EducationLevels = []string{
		"basic_4y", "basic_6y", "basic_9y", "high_school", "illiterate",
		"professional_course", "university_degree", "unknown",
	}
	// YesNoUnknown is the enumeration of credit_default, housing_loan and
	// personal_loan.
	YesNoUnknown     = []string{"yes", "no", "unknown"}
	ContactChannels  = []string{"cellular", "telephone"}
	Months           = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	Weekdays         = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	PreviousOutcomes = []string{"none", "failure", "success"}
	// Categories are the values Thresholds.Category returns, best first.
	Categories = []string{CategoryHot, CategoryWarm, CategoryCold}
)

// The lead categories.
const (
	CategoryHot  = "hot"
	CategoryWarm = "warm"
	CategoryCold = "cold"
)

// unknownLevel is the level that missing and unrecognised categorical values
// fall into.
const unknownLevel = "unknown"
