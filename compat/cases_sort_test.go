package compat

var sortCases = []testCase{}
