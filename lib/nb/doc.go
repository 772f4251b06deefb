// Package nb holds helpers for Labnotes notebooks: run scales, the recipe
// parameter ([ParseRecipe]: "paper" runs a paper's full recipe at gpu scale)
// and the sections parameter ([ParseSections]: which sections a run
// executes, where together they outgrow one run), progress bars, line plots,
// tables, claims, a measured training speed and the time of a longer run at
// it ([Pace]), and the kit every notebook shares instead of defining its
// own: [Must], [Must2] and [Check] for errors, [WorkDir] for the folder where
// cells leave files for later cells (unique per run unless the notebook names
// one), [SaveJSON] and [LoadJSON] (atomic), [Row] for figures side by side
// and [Windowed] for smoothed curves.
//
// Every helper renders rich output when it runs inside a GoNB notebook
// (gonbui.IsNotebook) and plain text on stdout otherwise, so the same code
// works in Jupyter, in `go test` and in command-line tools. The HTML and SVG
// they produce are self-contained (inline styles, no JavaScript, nothing
// fetched from the network), so they also show in offline nbconvert HTML
// reports.
//
// A typical cell:
//
//	// Parameters cell (the runner overrides it, e.g. scale = "smoke"):
//	var scale = "cpu"
//
//	steps := nb.Pick(nb.MustScale(scale), 20, 2_000, 20_000)
//	p := nb.NewProgress(steps, "train")
//	for i := range steps {
//		loss := trainStep()
//		p.Update(i+1, "loss", loss)
//	}
//	p.Done()
//	(&nb.LinePlot{Title: "Loss", XLabel: "step", LogY: true}).Add("train", nil, losses).Show()
//	nb.Table([]string{"model", "loss"}, [][]any{{"mlp", losses[len(losses)-1]}})
//	nb.ClaimLess("final loss", losses[len(losses)-1], 0.5)
//
// Cells of one notebook run share files through the run's work folder:
//
//	var checkpoints = "" // parameter: empty for a fresh folder of this run
//
//	dir := nb.WorkDir("07", checkpoints)
//	nb.Check(nb.SaveJSON(filepath.Join(dir, "models.json"), results))
//	// ... a later cell:
//	nb.Check(nb.LoadJSON(filepath.Join(dir, "models.json"), &results))
package nb
