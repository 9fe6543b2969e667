package compat

var hashCases = []testCase{}
