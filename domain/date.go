package domain

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Date is a calendar date, "2025-01-01". Dates are kept as the string the client sent, because in
// ISO form they sort and compare as strings; Valid says whether it is a real date.
type Date string

// DateOf returns the calendar date of t in UTC.
func DateOf(t time.Time) Date { return Date(t.UTC().Format(time.DateOnly)) }

// Valid reports whether d is a real calendar date in YYYY-MM-DD form (2025-02-30 is not).
func (d Date) Valid() bool {
	if len(d) != 10 {
		return false
	}
	_, err := time.Parse(time.DateOnly, string(d))
	return err == nil
}

// Year returns the year of a valid date, and 0 otherwise.
func (d Date) Year() int {
	if !d.Valid() {
		return 0
	}
	y, _ := strconv.Atoi(string(d[:4]))
	return y
}

// Time returns d as midnight UTC.
func (d Date) Time() time.Time {
	t, _ := time.Parse(time.DateOnly, string(d))
	return t
}

func (d Date) IsZero() bool { return d == "" }

// PointEnd returns the last day of what a value reported for a follow-up point of year describes:
// the first tertial (T1, January to April), the first two (T2, January to August, the interim
// report), or the whole year (annual). On earlier dates the value did not yet describe anything
// that had happened: a read as of such a date leaves it out. Points are T1, T2 and annual (Points);
// any other is taken as annual here, and a projection sets aside a value reported for one.
func PointEnd(year int, point string) Date {
	switch point {
	case "T1":
		return Date(fmt.Sprintf("%04d-04-30", year))
	case "T2":
		return Date(fmt.Sprintf("%04d-08-31", year))
	}
	return Date(fmt.Sprintf("%04d-12-31", year))
}

// PointRank is the place of a follow-up point in the order of Points, the order in which they end:
// 1 for T1 to 3 for annual, and 0 for what is not one.
func PointRank(point string) int { return slices.Index(Points, point) + 1 }

// ComparePoints orders follow-up points of years as they end: by year, then by point.
func ComparePoints(yearA int, pointA string, yearB int, pointB string) int {
	return cmp.Or(cmp.Compare(yearA, yearB), cmp.Compare(PointRank(pointA), PointRank(pointB)))
}
