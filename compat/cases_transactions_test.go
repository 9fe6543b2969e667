package compat

var txCases = []testCase{}
