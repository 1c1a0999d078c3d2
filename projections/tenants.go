package projections

import (
	"context"

	"github.com/taktledger/takt/domain"
)

// Tenants serves the queries of several tenants, each from its own DB.
type Tenants map[string]*DB

var (
	_ domain.Queries            = Tenants(nil)
	_ domain.ProjectionProgress = Tenants(nil)
)

// WaitFor implements domain.ProjectionProgress: it returns once tenant's projection has applied seq.
func (t Tenants) WaitFor(ctx context.Context, tenant string, seq uint64) error {
	db, err := t.db(tenant)
	if err != nil {
		return err
	}
	return db.WaitFor(ctx, seq)
}

func (t Tenants) db(tenant string) (*DB, error) {
	db, ok := t[tenant]
	if !ok {
		return nil, domain.NotFound("tenant", "Tenant %s is not served here.", tenant)
	}
	return db, nil
}

// Periods implements domain.Queries.
func (t Tenants) Periods(ctx context.Context, tenant string, opts domain.ReadOptions) ([]domain.PeriodView, error) {
	db, err := t.db(tenant)
	if err != nil {
		return nil, err
	}
	return db.Periods(ctx, tenant, opts)
}

// Organs implements domain.Queries.
func (t Tenants) Organs(ctx context.Context, tenant string, opts domain.ReadOptions) ([]domain.OrganView, error) {
	db, err := t.db(tenant)
	if err != nil {
		return nil, err
	}
	return db.Organs(ctx, tenant, opts)
}

// Goals implements domain.Queries.
func (t Tenants) Goals(ctx context.Context, tenant string, filter domain.GoalFilter, opts domain.ReadOptions) (*domain.GoalTree, error) {
	db, err := t.db(tenant)
	if err != nil {
		return nil, err
	}
	return db.Goals(ctx, tenant, filter, opts)
}

// Goal implements domain.Queries.
func (t Tenants) Goal(ctx context.Context, tenant, id string, opts domain.ReadOptions) (*domain.GoalView, error) {
	db, err := t.db(tenant)
	if err != nil {
		return nil, err
	}
	return db.Goal(ctx, tenant, id, opts)
}

// GoalHistory implements domain.Queries.
func (t Tenants) GoalHistory(ctx context.Context, tenant, id string, filter domain.HistoryFilter, opts domain.ReadOptions) ([]domain.Version, error) {
	db, err := t.db(tenant)
	if err != nil {
		return nil, err
	}
	return db.GoalHistory(ctx, tenant, id, filter, opts)
}

// Indicator implements domain.Queries.
func (t Tenants) Indicator(ctx context.Context, tenant, id string, opts domain.ReadOptions) (*domain.IndicatorView, error) {
	db, err := t.db(tenant)
	if err != nil {
		return nil, err
	}
	return db.Indicator(ctx, tenant, id, opts)
}

// Commitments implements domain.Queries.
func (t Tenants) Commitments(ctx context.Context, tenant string, filter domain.CommitmentFilter, opts domain.ReadOptions) ([]domain.CommitmentView, error) {
	db, err := t.db(tenant)
	if err != nil {
		return nil, err
	}
	return db.Commitments(ctx, tenant, filter, opts)
}

// FollowUp implements domain.Queries.
func (t Tenants) FollowUp(ctx context.Context, tenant, id string, opts domain.ReadOptions) (*domain.FollowUpReport, error) {
	db, err := t.db(tenant)
	if err != nil {
		return nil, err
	}
	return db.FollowUp(ctx, tenant, id, opts)
}

// Audit implements domain.Queries.
func (t Tenants) Audit(ctx context.Context, tenant string, filter domain.AuditFilter, opts domain.ReadOptions) ([]domain.AuditRow, error) {
	db, err := t.db(tenant)
	if err != nil {
		return nil, err
	}
	return db.Audit(ctx, tenant, filter, opts)
}
