package compat

var bitmapCases = []testCase{}
