package main

import (
	"os"

	"github.com/AlecAivazis/survey/v2"
	"golang.org/x/term"
)

// Prompter asks the user for values. survey/v2 is behind it (it is no
// longer maintained, so it must stay easy to swap), and tests use a
// scripted fake.
type Prompter interface {
	Input(message, def string, validate func(string) error) (string, error)
	MultiSelect(message string, options, defaults []string) ([]string, error)
	Confirm(message string, def bool) (bool, error)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

type surveyPrompter struct{}

func newSurveyPrompter() Prompter { return surveyPrompter{} }

func (surveyPrompter) Input(message, def string, validate func(string) error) (string, error) {
	var out string
	err := survey.AskOne(&survey.Input{Message: message, Default: def}, &out, survey.WithValidator(func(v any) error {
		s, _ := v.(string)
		return validate(s)
	}))
	return out, err
}

func (surveyPrompter) MultiSelect(message string, options, defaults []string) ([]string, error) {
	var out []string
	err := survey.AskOne(&survey.MultiSelect{Message: message, Options: options, Default: defaults}, &out, survey.WithValidator(survey.MinItems(1)))
	return out, err
}

func (surveyPrompter) Confirm(message string, def bool) (bool, error) {
	var out bool
	err := survey.AskOne(&survey.Confirm{Message: message, Default: def}, &out)
	return out, err
}
