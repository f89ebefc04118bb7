package main

import (
	"errors"
	"os"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/terminal"
	"golang.org/x/term"
)

// Prompter asks the user for values. survey/v2 is behind it (it is no
// longer maintained, so it must stay easy to swap), and tests use a
// scripted fake. help is shown when the user types '?'.
type Prompter interface {
	Input(message, help, def string, validate func(string) error) (string, error)
	Select(message, help string, options []string, def string) (string, error)
	MultiSelect(message, help string, options, defaults []string) ([]string, error)
	Confirm(message, help string, def bool) (bool, error)
}

// errInterrupted is what a Prompter returns when the user pressed Ctrl-C
// (or Ctrl-D) at a prompt.
var errInterrupted = errors.New("interrupted")

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

type surveyPrompter struct{}

func newSurveyPrompter() Prompter { return surveyPrompter{} }

// surveyErr turns survey's Ctrl-C and end-of-input into errInterrupted.
func surveyErr(err error) error {
	if errors.Is(err, terminal.InterruptErr) || (err != nil && err.Error() == "EOF") {
		return errInterrupted
	}
	return err
}

func (surveyPrompter) Input(message, help, def string, validate func(string) error) (string, error) {
	var out string
	err := survey.AskOne(&survey.Input{Message: message, Default: def, Help: help}, &out, survey.WithValidator(func(v any) error {
		s, _ := v.(string)
		return validate(s)
	}))
	return out, surveyErr(err)
}

func (surveyPrompter) Select(message, help string, options []string, def string) (string, error) {
	var out string
	err := survey.AskOne(&survey.Select{Message: message, Options: options, Default: def, Help: help}, &out)
	return out, surveyErr(err)
}

func (surveyPrompter) MultiSelect(message, help string, options, defaults []string) ([]string, error) {
	var out []string
	err := survey.AskOne(&survey.MultiSelect{Message: message, Options: options, Default: defaults, Help: help}, &out, survey.WithValidator(survey.MinItems(1)))
	return out, surveyErr(err)
}

func (surveyPrompter) Confirm(message, help string, def bool) (bool, error) {
	var out bool
	err := survey.AskOne(&survey.Confirm{Message: message, Default: def, Help: help}, &out)
	return out, surveyErr(err)
}
