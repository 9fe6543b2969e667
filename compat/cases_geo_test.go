package compat

var geoCases = []testCase{}
