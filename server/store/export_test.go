package store

// SetVerifyPaging makes AuditVerify read page events at a time and call
// between before every page after the first.
func SetVerifyPaging(s *Store, page int32, between func()) {
	s.verify = verifyPaging{page: page, betweenPages: between}
}

// SetPasswordCheckHook makes Login and ChangePassword call f before each
// bcrypt comparison.
func SetPasswordCheckHook(s *Store, f func()) { s.onPasswordCheck = f }
