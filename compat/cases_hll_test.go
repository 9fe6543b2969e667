package compat

var hllCases = []testCase{}
