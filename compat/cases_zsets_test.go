package compat

var zsetCases = []testCase{}
