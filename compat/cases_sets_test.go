package compat

var setCases = []testCase{}
