package domain

import "testing"

func TestPointEnd(t *testing.T) {
	for _, c := range []struct {
		year  int
		point string
		want  Date
	}{
		{2024, "T1", "2024-04-30"},
		{2024, "T2", "2024-08-31"},
		{2024, "annual", "2024-12-31"},
		{2025, "", "2025-12-31"},
		{812, "T1", "0812-04-30"},
	} {
		if got := PointEnd(c.year, c.point); got != c.want || !got.Valid() {
			t.Errorf("PointEnd(%d, %q) = %s, want %s", c.year, c.point, got, c.want)
		}
	}
	// The points end in the order they rank, and sort as strings in that order too.
	for i := 1; i < len(Points); i++ {
		if PointEnd(2024, Points[i-1]) >= PointEnd(2024, Points[i]) || Points[i-1] >= Points[i] ||
			PointRank(Points[i-1]) >= PointRank(Points[i]) || ComparePoints(2024, Points[i-1], 2024, Points[i]) >= 0 {
			t.Errorf("%s does not end, rank and sort before %s", Points[i-1], Points[i])
		}
	}
	if PointRank("Q1") != 0 || ComparePoints(2024, "annual", 2025, "T1") >= 0 || ComparePoints(2025, "T2", 2025, "T2") != 0 {
		t.Error("a point that is none ranks, or the year does not come first")
	}
}
