package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/taktledger/takt/domain"
)

// badEvent is a record that cannot be applied: it is set aside in the quarantine table, and the
// projection goes on.
type badEvent struct{ err error }

func (b badEvent) Error() string { return b.err.Error() }
func (b badEvent) Unwrap() error { return b.err }

func bad(format string, args ...any) error { return badEvent{fmt.Errorf(format, args...)} }

// isBad reports whether err says something about the record rather than about the database.
func isBad(err error) bool {
	var b badEvent
	if errors.As(err, &b) {
		return true
	}
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrConstraint
}

// Apply applies records, in order, in one transaction together with the checkpoint: either all of
// them and the checkpoint are stored, or none. Records at or below the checkpoint have been applied
// already and are skipped. A record that cannot be applied is set aside in the quarantine table,
// counted and logged; the checkpoint moves past it all the same.
//
// A batch is first applied straight through. Should a record prove bad, that transaction is rolled
// back and the batch applied again with each record in a savepoint of its own, so that the bad one
// leaves nothing behind and the others stay: bad records are rare, and a savepoint per record is
// not free.
func (db *DB) Apply(ctx context.Context, records []domain.Record) error {
	if len(records) == 0 {
		return nil
	}
	db.applying.Lock()
	defer db.applying.Unlock()
	// go-sqlite3 runs every statement and every step of a query whose context can be cancelled in a
	// goroutine of its own, so as to interrupt it: two goroutine switches for each of the dozen
	// statements a record takes a few microseconds to run. Statements run without cancellation, then;
	// the batch stops between records once ctx is done, and its transaction is rolled back.
	sqlCtx := context.WithoutCancel(ctx)
	newApplier := func(careful bool) *applier {
		return &applier{ctx: sqlCtx, done: ctx, cache: &db.cache, careful: careful, indexed: db.index != nil, pointed: db.points != nil}
	}
	a := newApplier(false)
	err := a.batch(db, records)
	if errors.Is(err, errCareful) {
		db.cache.reset()
		a = newApplier(true)
		err = a.batch(db, records)
	}
	if err != nil {
		db.cache.reset()
		return err
	}
	if a.last == 0 {
		return nil
	}
	for i, r := range a.set {
		db.Logger.Warn("event set aside", "tenant", db.Tenant, "seq", r.Seq, "subject", r.Subject, "err", a.setErrs[i])
	}
	db.quarantined.Add(uint64(len(a.set)))
	db.advanced(a.last)
	return nil
}

// errCareful ends a batch applied straight through at a bad record: it is applied again, carefully.
var errCareful = errors.New("projections: a bad record; the batch is applied again record by record")

// batch applies records in one transaction with the checkpoint, and sets a.last to the new
// checkpoint (0 when every record had been applied already).
func (a *applier) batch(db *DB, records []domain.Record) error {
	tx, err := db.write.BeginTx(a.ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	a.tx = tx

	var checkpoint uint64
	if err := tx.QueryRowContext(a.ctx, "SELECT seq FROM checkpoint WHERE id = 1").Scan(&checkpoint); err != nil {
		return err
	}
	if checkpoint == 0 {
		// An empty file: every entity the cache will hold, it has been told of.
		a.cache.reset()
		a.cache.all = true
	}
	last := checkpoint
	for _, r := range records {
		if r.Seq <= last {
			continue
		}
		if err := a.done.Err(); err != nil {
			return err
		}
		err := a.apply(r)
		if err != nil && !isBad(err) {
			return fmt.Errorf("projections: apply seq %d: %w", r.Seq, err)
		}
		if err != nil {
			if !a.careful {
				return errCareful
			}
			if err := a.quarantine(r, err); err != nil {
				return err
			}
			a.set, a.setErrs = append(a.set, r), append(a.setErrs, err)
		}
		last = r.Seq
	}
	if last == checkpoint {
		return nil
	}
	for _, in := range slices.Sorted(maps.Keys(a.touched)) {
		if err := a.status(in); err != nil {
			return fmt.Errorf("projections: status of %s: %w", in, err)
		}
	}
	if moved := last / goalHistoryRun * goalHistoryRun; moved > checkpoint {
		if err := moveGoalHistory(a.ctx, tx, moved); err != nil {
			return fmt.Errorf("projections: goal history: %w", err)
		}
	}
	if _, err := tx.ExecContext(a.ctx, "UPDATE checkpoint SET seq = ? WHERE id = 1", last); err != nil {
		return err
	}
	// The index holds the batch before a read can see its checkpoint.
	undo := func() {}
	if db.index != nil {
		undo = db.index.add(a.pending, last)
	}
	if err := tx.Commit(); err != nil {
		undo()
		return err
	}
	if db.points != nil {
		if err := db.points.apply(a.ctx, db.write, a.values, last); err != nil {
			db.Logger.Warn("latest values of points no longer kept in memory: tree reads ask SQLite", "tenant", db.Tenant, "err", err)
		}
	}
	a.last = last
	return nil
}

type applier struct {
	ctx   context.Context // of the statements: never done
	done  context.Context // of the batch
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // prepared in tx, closed with it
	cache *applyCache
	// careful applies each record in a savepoint.
	careful bool
	// r is the record being applied.
	r domain.Record
	// touched are the indicators whose latest value and status are recomputed once, at the end of
	// the batch, rather than after each of the many values a batch may report on one indicator.
	touched map[string]bool

	// indexed collects in pending the versions of the kinds DB.index holds.
	indexed bool
	pending []pendingVersion
	// pointed collects in values what changes DB.points.
	pointed bool
	values  []valueOp

	last    uint64          // the checkpoint committed
	set     []domain.Record // the records set aside
	setErrs []error
}

func (a *applier) touch(indicator string) {
	if a.touched == nil {
		a.touched = map[string]bool{}
	}
	a.touched[indicator] = true
}

// stmt is query prepared once in the batch's transaction: a projection has a few dozen
// statements, each run for many of a batch's records.
func (a *applier) stmt(query string) (*sql.Stmt, error) {
	if st, ok := a.stmts[query]; ok {
		return st, nil
	}
	st, err := a.tx.PrepareContext(a.ctx, query)
	if err != nil {
		return nil, err
	}
	if a.stmts == nil {
		a.stmts = map[string]*sql.Stmt{}
	}
	a.stmts[query] = st
	return st, nil
}

func (a *applier) exec(query string, args ...any) error {
	st, err := a.stmt(query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(a.ctx, args...)
	return err
}

// queryRow is QueryRowContext with a prepared statement.
func (a *applier) queryRow(query string, args ...any) *sql.Row {
	st, err := a.stmt(query)
	if err != nil {
		// A Row carries its error to Scan; an unprepared statement gives it there.
		return a.tx.QueryRowContext(a.ctx, query, args...)
	}
	return st.QueryRowContext(a.ctx, args...)
}

// apply applies one record; carefully, inside a savepoint, so that a record that fails halfway
// leaves nothing, in the file or in the cache.
func (a *applier) apply(r domain.Record) error {
	a.r = r
	if !a.careful {
		return a.record(r)
	}
	if err := a.exec("SAVEPOINT record"); err != nil {
		return err
	}
	pending, values := len(a.pending), len(a.values)
	err := a.record(r)
	if err != nil {
		a.cache.reset()
		a.pending, a.values = a.pending[:pending], a.values[:values]
		if rerr := a.exec("ROLLBACK TO record"); rerr != nil {
			return rerr
		}
	}
	if rerr := a.exec("RELEASE record"); rerr != nil {
		return rerr
	}
	return err
}

func (a *applier) quarantine(r domain.Record, cause error) error {
	data := r.Data
	if data == nil {
		data = []byte{}
	}
	return a.exec("INSERT INTO quarantine (seq, subject, msg_id, stored_at, data, error) VALUES (?, ?, ?, ?, ?, ?)",
		r.Seq, r.Subject, r.MsgID, formatTime(r.Stored), data, cause.Error())
}

// timeLayout has a fixed width, so that recording times sort and compare as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime parses a recording time as formatTime writes it: its fixed width is read digit by
// digit, a tenth of what time.Parse takes, which a goal's history does a thousand times a read.
// Anything else is left to time.Parse.
func parseTime(s string) (time.Time, error) {
	if len(s) != len(timeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
		s[19] != '.' || s[29] != 'Z' {
		return time.Parse(timeLayout, s)
	}
	num := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day, hour, minute, sec, nsec := num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19), num(20, 29)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
		sec < 0 || sec > 59 || nsec < 0 {
		return time.Parse(timeLayout, s)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day {
		// A day the month does not have: time.Parse says so.
		return time.Parse(timeLayout, s)
	}
	return t, nil
}

func (a *applier) record(r domain.Record) error {
	if r.Err != nil {
		return badEvent{r.Err}
	}
	e := r.Event
	e.Seq = r.Seq
	if e.Data == nil {
		return bad("event %s has no data", e.ID)
	}
	if e.Aggregate.ID == "" || !strings.HasPrefix(e.Type, string(e.Aggregate.Kind)+".") {
		return bad("event type %s does not belong to aggregate %s", e.Type, e.Aggregate)
	}
	if e.Effective == "" {
		e.Effective = domain.DateOf(e.Time)
	} else if !e.Effective.Valid() {
		return bad("effective date %q is not a date", e.Effective)
	}
	id := e.Aggregate.ID
	switch d := e.Data.(type) {
	case *domain.OrganRegistered:
		return a.organRegistered(e, id, d)
	case *domain.OrganRenamed:
		return a.organ(e, id, d.Decision, "", func(o *domain.OrganView) { o.Name = d.Name })
	case *domain.OrganDissolved:
		return a.organ(e, id, d.Decision, d.Reason, func(o *domain.OrganView) {
			o.Dissolved, o.DissolvedOn, o.Successor = true, e.Effective, d.Successor
		})
	case *domain.PeriodOpened:
		return a.periodOpened(e, id, d)
	case *domain.PeriodClosed:
		return a.periodClosed(e, id, d)
	case *domain.VisionAdopted:
		return a.visionAdopted(e, id, d)
	case *domain.VisionRevised:
		return a.visionRevised(e, id, d)
	case *domain.GoalAdopted:
		return a.goalAdopted(e, id, d)
	case *domain.GoalRevised:
		return a.goal(e, id, d.Decision, d.Reason, func(g *domain.GoalView) error {
			set(&g.Title, d.Title)
			set(&g.Description, d.Description)
			set(&g.Level, d.Level)
			set(&g.Owner, d.Owner)
			set(&g.GoalArea, d.GoalArea)
			return nil
		})
	case *domain.GoalRelinked:
		return a.goal(e, id, d.Decision, d.Reason, func(g *domain.GoalView) error {
			g.ContributesTo = links(d.ContributesTo)
			if d.SDGs != nil {
				g.SDGs = sdgs(d.SDGs)
			}
			return nil
		})
	case *domain.GoalCarriedForward:
		return a.goal(e, id, d.Decision, "", func(g *domain.GoalView) error {
			g.Period = d.ToPeriod
			g.Periods = append(g.Periods, d.ToPeriod)
			return nil
		})
	case *domain.GoalRetired:
		return a.goal(e, id, d.Decision, d.Reason, func(g *domain.GoalView) error {
			g.Status = domain.StatusRetired
			return nil
		})
	case *domain.GoalAssessed:
		return a.goalAssessed(e, id, d)
	case *domain.IndicatorDefined:
		return a.indicatorDefined(e, id, d)
	case *domain.TargetSet:
		return a.targetSet(e, id, d)
	case *domain.ValueReported:
		return a.valueReported(e, id, d)
	case *domain.ValueCorrected:
		return a.valueCorrected(e, id, d)
	case *domain.MethodChanged:
		return a.methodChanged(e, id, d)
	case *domain.IndicatorRetired:
		return a.indicator(e, id, &d.Decision, d.Reason, func(in *domain.IndicatorView) { in.Retired = true })
	case *domain.CommitmentMade:
		return a.commitmentMade(e, id, d)
	case *domain.CommitmentRevised:
		return a.commitment(e, id, d.Decision, d.Reason, func(c *domain.CommitmentView) {
			set(&c.Text, d.Text)
			set(&c.Responsible, d.Responsible)
			set(&c.Measure, d.Measure)
			set(&c.Due, d.Due)
		})
	case *domain.ProgressReported:
		return a.progressReported(e, id, d)
	case *domain.CommitmentCompleted:
		return a.commitment(e, id, d.Decision, "", func(c *domain.CommitmentView) {
			c.Status, c.Outcome, c.Value = domain.StatusCompleted, d.Outcome, d.Value
		})
	case *domain.CommitmentCancelled:
		return a.commitment(e, id, d.Decision, d.Reason, func(c *domain.CommitmentView) {
			c.Status, c.Reason = domain.StatusCancelled, d.Reason
		})
	case *domain.FollowUpAdopted:
		return a.followUpAdopted(e, id, d)
	}
	return bad("no projection for event type %s", e.Type)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// links and sdgs never return nil, so that an entity's state reads the same however it came about.
func links(l []domain.Link) []domain.Link {
	if l == nil {
		return []domain.Link{}
	}
	return l
}

func sdgs(s []domain.SDGLink) []domain.SDGLink {
	if s == nil {
		return []domain.SDGLink{}
	}
	return s
}

// prev is an entity's latest version as the projection holds it.
type prev struct {
	state   []byte
	version int
}

func (p *prev) exists() bool { return p != nil && p.version > 0 }

// get loads the latest version of an entity into v. It returns a prev that does not exist, and
// leaves v alone, when the entity has no version yet.
func (a *applier) get(kind, id string, v any) (*prev, error) {
	p, err := a.latest(kind, id)
	if err != nil || !p.exists() {
		return p, err
	}
	if err := json.Unmarshal(p.state, v); err != nil {
		return nil, fmt.Errorf("%s/%s: stored state: %w", kind, id, err)
	}
	return p, nil
}

// latest returns the latest version of an entity, from the cache or else from history.
func (a *applier) latest(kind, id string) (*prev, error) {
	key := entity{kind, id}
	if p, ok := a.cache.get(key); ok {
		return p, nil
	}
	p := &prev{}
	if a.cache.all && kind != "value" {
		return p, nil
	}
	err := a.queryRow("SELECT state, version FROM history WHERE kind = ? AND id = ? ORDER BY seq DESC LIMIT 1",
		kind, id).Scan(&p.state, &p.version)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	a.cache.put(key, p)
	return p, nil
}

// must is get for an entity that the event needs to exist.
func (a *applier) must(kind, id string, v any) (*prev, error) {
	p, err := a.get(kind, id, v)
	if err == nil && !p.exists() {
		err = bad("%s %s does not exist", kind, id)
	}
	return p, err
}

// put records a new version of an entity: the state after event e, valid from e's effective date.
// The previous version, if any, stays in force until then.
func (a *applier) put(e domain.Event, p *prev, kind, id string, state any, dec *domain.DecisionRef, reason string) error {
	after, err := json.Marshal(state)
	if err != nil {
		return err
	}
	var before []byte
	version := 1
	if p.exists() {
		// The version before stays as written: its valid_to is this one's valid_from, computed
		// as it is read (validTo; migration 0010).
		before, version = p.state, p.version+1
	}
	d, err := diff(before, after)
	if err != nil {
		return err
	}
	goal := ""
	switch v := state.(type) {
	case domain.IndicatorView:
		goal = v.Goal
	case domain.CommitmentView:
		goal = v.Goal
	case domain.GoalView:
		for _, l := range v.ContributesTo {
			if err := a.exec("INSERT OR IGNORE INTO history_links (parent, goal, seq) VALUES (?, ?, ?)", l.Goal, id, e.Seq); err != nil {
				return err
			}
		}
	}
	var dOrgan, dDate, dPara, dCase any
	if dec != nil {
		dOrgan, dDate, dPara, dCase = dec.Organ, string(dec.MeetingDate), dec.Paragraph, dec.CaseNumber
	}
	if err := a.exec(`INSERT INTO history (kind, id, seq, version, agg_kind, agg_id, goal, event_id, event_type, actor, organ, period,
		recorded_at, valid_from, decision_organ, meeting_date, paragraph, case_number, reason, diff, state, msg_id, subject)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		kind, id, e.Seq, version, string(e.Aggregate.Kind), e.Aggregate.ID, goal, e.ID, e.Type, e.Actor, e.Organ, e.Period,
		formatTime(e.Time), string(e.Effective), dOrgan, dDate, dPara, dCase, reason, d, string(after), a.r.MsgID, a.r.Subject); err != nil {
		return err
	}
	if goal, ok, err := a.goalOf(e, kind, id, state); err != nil {
		return err
	} else if ok {
		if err := a.exec("INSERT INTO goal_history_recent (seq, kind, id, goal) VALUES (?, ?, ?, ?)", e.Seq, kind, id, goal); err != nil {
			return err
		}
	}
	a.cache.put(entity{kind, id}, &prev{state: after, version: version})
	if a.indexed && isIndexed(kind) {
		// Decoded as a read from the file would decode it, so that both answer the same.
		v, err := decodeState(kind, after)
		if err != nil {
			return err
		}
		a.pending = append(a.pending, pendingVersion{kind: kind, id: id, seq: e.Seq, validFrom: e.Effective, period: e.Period,
			state: v})
	}
	return nil
}

// goalHistoryRun is how many sequences goal_history_recent gathers before its versions are packed
// into goal_history (migrations 0007 and 0009). A variable for the tests.
var goalHistoryRun uint64 = 65536

// moveGoalHistory packs the versions up to seq noted in goal_history_recent from history into
// goal_history: a block for each goal and each run of goalHistoryRun sequences, whatever the
// batches were, its versions in the order recorded.
func moveGoalHistory(ctx context.Context, tx *sql.Tx, seq uint64) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO goal_history (goal, first, last, size, versions)
		SELECT r.goal, min(r.seq), max(r.seq), count(*), group_concat(`+packedH+`, '' ORDER BY r.seq, r.kind, r.id)
		FROM goal_history_recent r JOIN history h ON h.kind = r.kind AND h.id = r.id AND h.seq = r.seq
		WHERE r.seq <= ? GROUP BY r.goal, (r.seq - 1) / ? ORDER BY r.goal, (r.seq - 1) / ?`,
		seq, goalHistoryRun, goalHistoryRun); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "DELETE FROM goal_history_recent WHERE seq <= ?", seq)
	return err
}

// goalOf returns the goal in whose history a version belongs, if any: a goal's own versions, its
// indicators' and commitments', and the targets and corrections of its indicators.
func (a *applier) goalOf(e domain.Event, kind, id string, state any) (string, bool, error) {
	switch v := state.(type) {
	case domain.GoalView:
		return id, true, nil
	case domain.IndicatorView:
		if a.cache.goals == nil {
			a.cache.goals = map[string]string{}
		}
		a.cache.goals[id] = v.Goal
		return v.Goal, true, nil
	case domain.CommitmentView:
		return v.Goal, true, nil
	}
	if e.Aggregate.Kind != domain.KindIndicator || (e.Type != "indicator.target_set" && e.Type != "indicator.value_corrected") {
		return "", false, nil
	}
	// An indicator belongs to the goal it was defined for, for good.
	if goal, ok := a.cache.goals[e.Aggregate.ID]; ok {
		return goal, true, nil
	} else if a.cache.all {
		return "", false, nil
	}
	var goal string
	err := a.queryRow("SELECT goal FROM history WHERE kind = 'indicator' AND id = ? ORDER BY seq LIMIT 1", e.Aggregate.ID).Scan(&goal)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	} else if err != nil {
		return "", false, err
	}
	if a.cache.goals == nil {
		a.cache.goals = map[string]string{}
	}
	a.cache.goals[e.Aggregate.ID] = goal
	return goal, true, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Organs.

func (a *applier) organRegistered(e domain.Event, id string, d *domain.OrganRegistered) error {
	var o domain.OrganView
	p, err := a.get("organ", id, &o)
	if err != nil {
		return err
	} else if p.exists() {
		return bad("organ %s is registered already", id)
	}
	o = domain.OrganView{ID: id, Name: d.Name, Kind: d.Kind, Parent: d.Parent, Decision: d.Decision}
	return a.putOrgan(e, p, o, d.Decision, "")
}

func (a *applier) organ(e domain.Event, id string, dec *domain.DecisionRef, reason string, fn func(*domain.OrganView)) error {
	var o domain.OrganView
	p, err := a.must("organ", id, &o)
	if err != nil {
		return err
	}
	fn(&o)
	o.Decision = dec
	return a.putOrgan(e, p, o, dec, reason)
}

func (a *applier) putOrgan(e domain.Event, p *prev, o domain.OrganView, dec *domain.DecisionRef, reason string) error {
	o.ValidFrom, o.Seq = e.Effective, e.Seq
	if err := a.put(e, p, "organ", o.ID, o, dec, reason); err != nil {
		return err
	}
	return a.exec(`INSERT OR REPLACE INTO organs (id, name, kind, parent, dissolved, dissolved_on, successor, valid_from, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, o.ID, o.Name, o.Kind, o.Parent, boolInt(o.Dissolved), string(o.DissolvedOn),
		o.Successor, string(o.ValidFrom), o.Seq)
}

// Periods.

func (a *applier) periodOpened(e domain.Event, id string, d *domain.PeriodOpened) error {
	var pv domain.PeriodView
	p, err := a.get("period", id, &pv)
	if err != nil {
		return err
	} else if p.exists() {
		return bad("period %s is open already", id)
	}
	pv = domain.PeriodView{ID: id, FirstYear: d.FirstYear, LastYear: d.LastYear, Opened: d.Decision}
	return a.putPeriod(e, p, pv, d.Decision)
}

func (a *applier) periodClosed(e domain.Event, id string, d *domain.PeriodClosed) error {
	var pv domain.PeriodView
	p, err := a.must("period", id, &pv)
	if err != nil {
		return err
	}
	dec := d.Decision
	pv.Closed, pv.ClosedBy = true, &dec
	return a.putPeriod(e, p, pv, &dec)
}

func (a *applier) putPeriod(e domain.Event, p *prev, pv domain.PeriodView, dec *domain.DecisionRef) error {
	pv.ValidFrom, pv.Seq = e.Effective, e.Seq
	if err := a.put(e, p, "period", pv.ID, pv, dec, ""); err != nil {
		return err
	}
	return a.exec("INSERT OR REPLACE INTO periods (id, first_year, last_year, closed, valid_from, seq) VALUES (?, ?, ?, ?, ?, ?)",
		pv.ID, pv.FirstYear, pv.LastYear, boolInt(pv.Closed), string(pv.ValidFrom), pv.Seq)
}

// Visions.

func (a *applier) visionAdopted(e domain.Event, id string, d *domain.VisionAdopted) error {
	var v domain.VisionView
	p, err := a.get("vision", id, &v)
	if err != nil {
		return err
	} else if p.exists() {
		return bad("vision %s is adopted already", id)
	}
	v = domain.VisionView{ID: id, Period: e.Period, Text: d.Text, Horizon: d.Horizon, Decision: d.Decision}
	return a.putVision(e, p, v, "")
}

func (a *applier) visionRevised(e domain.Event, id string, d *domain.VisionRevised) error {
	var v domain.VisionView
	p, err := a.must("vision", id, &v)
	if err != nil {
		return err
	}
	v.Text, v.Decision = d.Text, d.Decision
	return a.putVision(e, p, v, d.Reason)
}

func (a *applier) putVision(e domain.Event, p *prev, v domain.VisionView, reason string) error {
	v.ValidFrom, v.Seq = e.Effective, e.Seq
	if err := a.put(e, p, "vision", v.ID, v, &v.Decision, reason); err != nil {
		return err
	}
	return a.exec("INSERT OR REPLACE INTO visions (id, period, text, horizon, valid_from, seq) VALUES (?, ?, ?, ?, ?, ?)",
		v.ID, v.Period, v.Text, v.Horizon, string(v.ValidFrom), v.Seq)
}

// Goals.

func (a *applier) goalAdopted(e domain.Event, id string, d *domain.GoalAdopted) error {
	var g domain.GoalView
	p, err := a.get("goal", id, &g)
	if err != nil {
		return err
	} else if p.exists() {
		return bad("goal %s is adopted already", id)
	}
	g = domain.GoalView{ID: id, Period: e.Period, Periods: []string{e.Period}, Title: d.Title, Description: d.Description,
		Level: d.Level, Owner: d.Owner, GoalArea: d.GoalArea, ContributesTo: links(d.ContributesTo), SDGs: sdgs(d.SDGs),
		Status: domain.StatusActive}
	return a.putGoal(e, p, g, d.Decision, "")
}

func (a *applier) goal(e domain.Event, id string, dec domain.DecisionRef, reason string, fn func(*domain.GoalView) error) error {
	var g domain.GoalView
	p, err := a.must("goal", id, &g)
	if err != nil {
		return err
	}
	if err := fn(&g); err != nil {
		return err
	}
	return a.putGoal(e, p, g, dec, reason)
}

func (a *applier) goalAssessed(e domain.Event, id string, d *domain.GoalAssessed) error {
	as := &domain.AssessmentView{Point: d.Point, Year: d.Year, Attainment: d.Attainment, Suggested: d.Suggested,
		Basis: d.Basis, Motivation: d.Motivation, Late: d.Late, Decision: d.Decision, ValidFrom: e.Effective, Seq: e.Seq}
	if err := a.goal(e, id, d.Decision, d.Motivation, func(g *domain.GoalView) error {
		g.Assessment = as
		return nil
	}); err != nil {
		return err
	}
	basis, err := json.Marshal(d.Basis)
	if err != nil {
		return err
	}
	return a.exec(`INSERT INTO assessments (goal, seq, point, year, attainment, suggested, basis, motivation, late, valid_from)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, e.Seq, d.Point, d.Year, d.Attainment, d.Suggested, string(basis),
		d.Motivation, boolInt(d.Late), string(e.Effective))
}

func (a *applier) putGoal(e domain.Event, p *prev, g domain.GoalView, dec domain.DecisionRef, reason string) error {
	g.Decision, g.ValidFrom, g.Seq = dec, e.Effective, e.Seq
	if err := a.put(e, p, "goal", g.ID, g, &dec, reason); err != nil {
		return err
	}
	attainment := ""
	if g.Assessment != nil {
		attainment = g.Assessment.Attainment
	}
	if err := a.exec(`INSERT OR REPLACE INTO goals (id, period, title, description, level, owner, goal_area, status, attainment, valid_from, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, g.ID, g.Period, g.Title, g.Description, g.Level, g.Owner, g.GoalArea,
		g.Status, attainment, string(g.ValidFrom), g.Seq); err != nil {
		return err
	}
	if err := a.exec("DELETE FROM goal_links WHERE goal = ?", g.ID); err != nil {
		return err
	}
	for _, l := range g.ContributesTo {
		if err := a.exec("INSERT INTO goal_links (goal, parent, weight) VALUES (?, ?, ?)", g.ID, l.Goal, l.Weight); err != nil {
			return err
		}
	}
	if err := a.exec("DELETE FROM goal_sdgs WHERE goal = ?", g.ID); err != nil {
		return err
	}
	for _, s := range g.SDGs {
		if err := a.exec("INSERT INTO goal_sdgs (goal, sdg, strength) VALUES (?, ?, ?)", g.ID, s.SDG, s.Strength); err != nil {
			return err
		}
	}
	return nil
}

// Indicators.

func (a *applier) indicatorDefined(e domain.Event, id string, d *domain.IndicatorDefined) error {
	var in domain.IndicatorView
	p, err := a.get("indicator", id, &in)
	if err != nil {
		return err
	} else if p.exists() {
		return bad("indicator %s is defined already", id)
	}
	if d.Goal != "" {
		var g domain.GoalView
		if _, err := a.must("goal", d.Goal, &g); err != nil {
			return err
		}
	}
	in = domain.IndicatorView{ID: id, Goal: d.Goal, Period: e.Period, Name: d.Name, Description: d.Description,
		Unit: d.Unit, Measure: d.Measure, Direction: d.Direction, Source: d.Source, Baseline: d.Baseline,
		GenderDivided: d.GenderDivided, Breaks: []domain.MethodBreak{}}
	return a.putIndicator(e, p, in, d.Decision, "")
}

func (a *applier) indicator(e domain.Event, id string, dec *domain.DecisionRef, reason string, fn func(*domain.IndicatorView)) error {
	var in domain.IndicatorView
	p, err := a.must("indicator", id, &in)
	if err != nil {
		return err
	}
	fn(&in)
	return a.putIndicator(e, p, in, dec, reason)
}

func (a *applier) methodChanged(e domain.Event, id string, d *domain.MethodChanged) error {
	if err := a.indicator(e, id, d.Decision, d.Description, func(in *domain.IndicatorView) {
		in.Breaks = append(in.Breaks, domain.MethodBreak{FromYear: d.FromYear, Description: d.Description, Unit: d.Unit,
			Source: d.Source, Decision: d.Decision, Seq: e.Seq})
		set(&in.Unit, nonEmpty(d.Unit))
		if d.Source != nil {
			in.Source = d.Source
		}
	}); err != nil {
		return err
	}
	return a.exec("INSERT INTO method_breaks (indicator, seq, from_year, description) VALUES (?, ?, ?, ?)",
		id, e.Seq, d.FromYear, d.Description)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (a *applier) putIndicator(e domain.Event, p *prev, in domain.IndicatorView, dec *domain.DecisionRef, reason string) error {
	in.Decision, in.ValidFrom, in.Seq = dec, e.Effective, e.Seq
	if err := a.put(e, p, "indicator", in.ID, in, dec, reason); err != nil {
		return err
	}
	source := ""
	if in.Source != nil {
		b, _ := json.Marshal(in.Source)
		source = string(b)
	}
	var bv, by any
	if in.Baseline != nil {
		bv, by = in.Baseline.Value, in.Baseline.Year
	}
	if err := a.exec(`INSERT INTO indicators (id, goal, period, name, unit, measure, direction, source, baseline_value,
		baseline_year, gender_divided, retired, status, valid_from, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET goal = excluded.goal, period = excluded.period, name = excluded.name,
		unit = excluded.unit, measure = excluded.measure, direction = excluded.direction, source = excluded.source,
		baseline_value = excluded.baseline_value, baseline_year = excluded.baseline_year,
		gender_divided = excluded.gender_divided, retired = excluded.retired, valid_from = excluded.valid_from,
		seq = excluded.seq`,
		in.ID, in.Goal, in.Period, in.Name, in.Unit, in.Measure, in.Direction, source, bv, by, boolInt(in.GenderDivided),
		boolInt(in.Retired), domain.NoValue, string(in.ValidFrom), in.Seq); err != nil {
		return err
	}
	a.touch(in.ID)
	return nil
}

func targetID(indicator string, year int, termEnd bool) string {
	if termEnd {
		return indicator + "/term_end"
	}
	return fmt.Sprintf("%s/%d", indicator, year)
}

func (a *applier) targetSet(e domain.Event, id string, d *domain.TargetSet) error {
	var in domain.IndicatorView
	if _, err := a.must("indicator", id, &in); err != nil {
		return err
	}
	tid := targetID(id, d.Year, d.TermEnd)
	var t domain.TargetView
	p, err := a.get("target", tid, &t)
	if err != nil {
		return err
	}
	year := d.Year
	if d.TermEnd {
		year = 0
	}
	t = domain.TargetView{Indicator: id, Year: year, TermEnd: d.TermEnd, Value: d.Value, Comparison: d.Comparison,
		Decision: d.Decision, ValidFrom: e.Effective, Seq: e.Seq}
	if err := a.put(e, p, "target", tid, t, &d.Decision, ""); err != nil {
		return err
	}
	if err := a.exec("UPDATE targets SET current = 0 WHERE indicator = ? AND year = ? AND term_end = ?",
		id, year, boolInt(d.TermEnd)); err != nil {
		return err
	}
	if err := a.exec(`INSERT INTO targets (indicator, seq, year, term_end, value, comparison, current, valid_from)
		VALUES (?, ?, ?, ?, ?, ?, 1, ?)`, id, e.Seq, year, boolInt(d.TermEnd), d.Value, d.Comparison, string(e.Effective)); err != nil {
		return err
	}
	if st := a.cache.status[id]; st != nil {
		st.targets[targetKey{int64(year), d.TermEnd}] = targetValue{d.Value, d.Comparison}
	}
	a.touch(id)
	return nil
}

func valueID(indicator, id string) string { return indicator + "/" + id }

// indicatorExists checks that an indicator exists: a report needs nothing more of it.
func (a *applier) indicatorExists(id string) error {
	p, err := a.latest("indicator", id)
	if err == nil && !p.exists() {
		err = bad("indicator %s does not exist", id)
	}
	return err
}

func (a *applier) valueReported(e domain.Event, id string, d *domain.ValueReported) error {
	if err := a.indicatorExists(id); err != nil {
		return err
	}
	v := domain.ValueView{ID: d.ValueID, Indicator: id, Year: d.Year, Point: d.Point, Value: d.Value, Text: d.Text,
		Breakdown: d.Breakdown, Status: d.Status, Source: d.Source, Late: d.Late, Organ: e.Organ}
	return a.newValue(e, v)
}

func (a *applier) newValue(e domain.Event, v domain.ValueView) error {
	if v.ID == "" {
		return bad("value has no id")
	}
	if !slices.Contains(domain.Points, v.Point) {
		// Which values are in force as of a date, and which is the latest, follow from the point.
		return bad("value %s has point %q, not one of %s", v.ID, v.Point, strings.Join(domain.Points, ", "))
	}
	v.ValidFrom, v.Seq = e.Effective, e.Seq
	var women, men any
	if v.Breakdown != nil {
		women, men = v.Breakdown.Women, v.Breakdown.Men
	}
	// A value reported twice has a version already, which the key of values, led by the point,
	// does not see: history_entity finds it, on the page the value's version is about to be
	// written to, in the same statement.
	st, err := a.stmt(`INSERT INTO "values" (indicator, id, year, point, value, text, women, men, status, late, corrects,
		corrected_by, valid_from, seq) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?
		WHERE NOT EXISTS (SELECT 1 FROM history WHERE kind = 'value' AND id = ?)`)
	if err != nil {
		return err
	}
	res, err := st.ExecContext(a.ctx, v.Indicator, v.ID, v.Year, v.Point, v.Value, v.Text, women, men, v.Status,
		boolInt(v.Late), v.Corrects, string(v.ValidFrom), v.Seq, valueID(v.Indicator, v.ID))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return bad("value %s of indicator %s exists already", v.ID, v.Indicator)
	}
	if err := a.put(e, &prev{}, "value", valueID(v.Indicator, v.ID), v, nil, v.Reason); err != nil {
		return err
	}
	if a.pointed && v.Value != nil {
		a.values = append(a.values, valueOp{value: v})
	}
	if st := a.cache.status[v.Indicator]; st != nil && v.Value != nil {
		nv := &latestValue{id: v.ID, year: int64(v.Year), point: v.Point, seq: v.Seq, value: *v.Value}
		if st.latest == nil || nv.after(st.latest) {
			st.latest = nv
		}
	}
	a.touch(v.Indicator)
	return nil
}

func (a *applier) valueCorrected(e domain.Event, id string, d *domain.ValueCorrected) error {
	if err := a.indicatorExists(id); err != nil {
		return err
	}
	var old domain.ValueView
	p, err := a.must("value", valueID(id, d.Corrects), &old)
	if err != nil {
		return err
	}
	if old.CorrectedBy != "" {
		return bad("value %s of indicator %s has been corrected already by %s", d.Corrects, id, old.CorrectedBy)
	}
	// Its row in values is among the few of its indicator's year and point.
	year, pt := old.Year, old.Point
	old.CorrectedBy = d.ValueID
	old.ValidFrom, old.Seq = e.Effective, e.Seq
	if err := a.put(e, p, "value", valueID(id, d.Corrects), old, nil, d.Reason); err != nil {
		return err
	}
	if err := a.exec(`UPDATE "values" SET corrected_by = ? WHERE indicator = ? AND year = ? AND point = ? AND id = ?`,
		d.ValueID, id, year, pt, d.Corrects); err != nil {
		return err
	}
	if a.pointed {
		a.values = append(a.values, valueOp{indicator: id, id: d.Corrects})
	}
	if st := a.cache.status[id]; st != nil && st.latest != nil && st.latest.id == d.Corrects {
		// The value in force is no longer: which one is, the file says.
		delete(a.cache.status, id)
	}
	v := domain.ValueView{ID: d.ValueID, Indicator: id, Year: d.Year, Point: d.Point, Value: d.Value, Text: d.Text,
		Breakdown: d.Breakdown, Status: d.Status, Source: d.Source, Late: d.Late, Corrects: d.Corrects, Reason: d.Reason,
		Organ: e.Organ}
	return a.newValue(e, v)
}

// status brings an indicator's latest value, target in force and status up to date in its row,
// at the end of a batch; it writes the row only when they changed.
func (a *applier) status(indicator string) error {
	st, err := a.indicatorStatus(indicator)
	if err != nil {
		return err
	}
	if st == nil {
		return nil
	}
	row := st.compute(domain.NoValue)
	if row == st.row {
		return nil
	}
	if err := a.exec(`UPDATE indicators SET latest_value = ?, latest_year = ?, latest_number = ?, target_value = ?,
		comparison = ?, status = ? WHERE id = ?`, row.latestValue, row.latestYear, row.latest, row.target, row.comparison,
		row.status, indicator); err != nil {
		return err
	}
	st.row = row
	return nil
}

// indicatorStatus returns what an indicator's status is computed from, from the cache or else
// read from the file.
func (a *applier) indicatorStatus(indicator string) (*indicatorStatus, error) {
	if st := a.cache.status[indicator]; st != nil {
		return st, nil
	}
	st := &indicatorStatus{targets: map[targetKey]targetValue{}}
	var l latestValue
	err := a.queryRow(`SELECT id, year, point, seq, value FROM "values"
		WHERE indicator = ? AND corrected_by = '' AND value IS NOT NULL
		ORDER BY year DESC, point DESC, seq DESC
		LIMIT 1`, indicator).Scan(&l.id, &l.year, &l.point, &l.seq, &l.value)
	if err == nil {
		st.latest = &l
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT year, term_end, value, comparison FROM targets
		WHERE indicator = ? AND current = 1`, indicator)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k targetKey
		var t targetValue
		if err := rows.Scan(&k.year, &k.termEnd, &t.value, &t.comparison); err != nil {
			return nil, err
		}
		st.targets[k] = t
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	r := &st.row
	if err := a.queryRow(`SELECT latest_value, latest_year, latest_number, target_value, comparison, status
		FROM indicators WHERE id = ?`, indicator).Scan(&r.latestValue, &r.latestYear, &r.latest, &r.target, &r.comparison,
		&r.status); errors.Is(err, sql.ErrNoRows) {
		// Touched by a record set aside: there is nothing to bring up to date.
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if a.cache.status == nil {
		a.cache.status = map[string]*indicatorStatus{}
	}
	a.cache.status[indicator] = st
	return st, nil
}

// judge says whether a value is on track against a target.
func judge(value float64, hasTarget bool, target float64, comparison string) string {
	switch {
	case !hasTarget:
		return domain.NoTarget
	case domain.Meets(value, target, comparison):
		return domain.OnTrack
	}
	return domain.OffTrack
}

// Commitments.

func (a *applier) commitmentMade(e domain.Event, id string, d *domain.CommitmentMade) error {
	var c domain.CommitmentView
	p, err := a.get("commitment", id, &c)
	if err != nil {
		return err
	} else if p.exists() {
		return bad("commitment %s is made already", id)
	}
	c = domain.CommitmentView{ID: id, Period: e.Period, Text: d.Text, Responsible: d.Responsible, Goal: d.Goal,
		Measure: d.Measure, Year: d.Year, Due: d.Due, Status: domain.StatusActive}
	return a.putCommitment(e, p, c, d.Decision, "")
}

func (a *applier) commitment(e domain.Event, id string, dec domain.DecisionRef, reason string, fn func(*domain.CommitmentView)) error {
	var c domain.CommitmentView
	p, err := a.must("commitment", id, &c)
	if err != nil {
		return err
	}
	fn(&c)
	return a.putCommitment(e, p, c, dec, reason)
}

func (a *applier) progressReported(e domain.Event, id string, d *domain.ProgressReported) error {
	var c domain.CommitmentView
	p, err := a.must("commitment", id, &c)
	if err != nil {
		return err
	}
	c.Progress = &domain.ProgressView{Value: d.Value, Status: d.Status, Comment: d.Comment, Source: d.Source,
		Organ: e.Organ, ValidFrom: e.Effective, Seq: e.Seq}
	if err := a.putCommitment(e, p, c, c.Decision, d.Comment); err != nil {
		return err
	}
	return a.exec(`INSERT INTO progress (commitment, seq, value, status, comment, organ, valid_from) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, e.Seq, d.Value, d.Status, d.Comment, e.Organ, string(e.Effective))
}

func (a *applier) putCommitment(e domain.Event, p *prev, c domain.CommitmentView, dec domain.DecisionRef, reason string) error {
	c.Decision, c.ValidFrom, c.Seq = dec, e.Effective, e.Seq
	var decision *domain.DecisionRef
	if _, ok := e.Data.(*domain.ProgressReported); !ok {
		decision = &dec
	}
	if err := a.put(e, p, "commitment", c.ID, c, decision, reason); err != nil {
		return err
	}
	measure, err := json.Marshal(c.Measure)
	if err != nil {
		return err
	}
	var pv any
	ps := ""
	if c.Progress != nil {
		pv, ps = c.Progress.Value, c.Progress.Status
	}
	// An upsert, not INSERT OR REPLACE: a row updated in place keeps its place in the table and in the
	// index of ids, where a replaced one would be deleted and written anew at the end.
	return a.exec(`INSERT INTO commitments (id, period, text, responsible, goal, measure, target, year, due, status,
		progress_value, progress_status, valid_from, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET period = excluded.period, text = excluded.text, responsible = excluded.responsible,
		goal = excluded.goal, measure = excluded.measure, target = excluded.target, year = excluded.year, due = excluded.due,
		status = excluded.status, progress_value = excluded.progress_value, progress_status = excluded.progress_status,
		valid_from = excluded.valid_from, seq = excluded.seq`,
		c.ID, c.Period, c.Text, c.Responsible, c.Goal, string(measure), c.Measure.Target, c.Year, string(c.Due), c.Status,
		pv, ps, string(c.ValidFrom), c.Seq)
}

// Follow-up.

func (a *applier) followUpAdopted(e domain.Event, id string, d *domain.FollowUpAdopted) error {
	var f domain.FollowUpView
	p, err := a.get("followup", id, &f)
	if err != nil {
		return err
	} else if p.exists() {
		return bad("follow-up %s is adopted already", id)
	}
	f = domain.FollowUpView{ID: id, Period: e.Period, Point: d.Point, Year: d.Year, Title: d.Title, AsOf: d.AsOf,
		Decision: d.Decision, ValidFrom: e.Effective, Seq: e.Seq}
	if err := a.put(e, p, "followup", id, f, &d.Decision, ""); err != nil {
		return err
	}
	return a.exec(`INSERT INTO followups (id, period, point, year, title, as_of, valid_from, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, f.Period, f.Point, f.Year, f.Title, string(f.AsOf), string(f.ValidFrom), f.Seq)
}
