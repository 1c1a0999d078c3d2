/*
Package auth establishes who a request comes from: the bearer tokens a data directory keeps (only
their hashes), and OIDC tokens of a municipality's own identity provider. What a principal may then
do is the api package's route table and domain.Authorize; docs/security.md has the matrix.
*/
package auth
