/*
Package demo records Älvby kommun, a fictional municipality, into a takt ledger: the mandate period
2023-2026 with its organs, vision, council, committee and company goals, indicators with targets
and three years of values, commitments with progress, goal assessments and follow-up reports. It is
what takt serve --demo loads, and what tests and the README tour point at.

[Load] speaks to the ledger only through [domain.Recorder], with the same requests an HTTP client
would send. Each request carries an Idempotency-Key named after its step ("demo/goal/kf-skola"), so
loading twice writes nothing the second time: every request is answered from the first recording.
The steps are recorded in the order of their dates, so the ledger's recording order follows the
municipality's calendar and each follow-up report freezes what was known when it was adopted.

The story holds one of each thing an auditor or a dashboard should be able to find; the exported
constants name them:

  - a target revised mid-term by a council decision that applies from 2025-01-01 ([RevisedIndicator]);
  - a 2024 value corrected in 2025 ([CorrectedIndicator]);
  - a survey whose method changed from 2024 ([MethodChangedIndicator]);
  - two committees dissolved into a successor from 2025, their goals and an open commitment handed
    over ([DissolvedOrgan], [SuccessorOrgan]);
  - the annual report 2024, adopted before that correction, the interim report 2025 and the annual
    report 2025 ([AnnualReport2024], [InterimReport], [AnnualReport]).

All names, numbers and texts are invented.
*/
package demo
