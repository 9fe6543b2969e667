package compat

var listCases = []testCase{}
