package data

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Synthetic Portuguese-style people for the demo leads and the benchmarks'
// data: no real person's data, drawn from the caller's random stream. About
// one name in 30 holds a given surname, as a real list of Portuguese clients
// would, so a search by surname finds a realistic share of leads.

var firstNames = []string{
	"Afonso", "Alice", "Ana", "André", "Beatriz", "Bernardo", "Bruno", "Carla", "Carolina", "Catarina",
	"Daniel", "Diana", "Diogo", "Duarte", "Eduardo", "Filipa", "Francisca", "Francisco", "Gabriel", "Gonçalo",
	"Guilherme", "Helena", "Inês", "Isabel", "Joana", "João", "Jorge", "José", "Leonor", "Lucas",
	"Luís", "Luísa", "Madalena", "Manuel", "Margarida", "Maria", "Mariana", "Marta", "Martim", "Matilde",
	"Miguel", "Nuno", "Paulo", "Pedro", "Raquel", "Ricardo", "Rita", "Rodrigo", "Rui", "Salvador",
	"Sara", "Sofia", "Teresa", "Tiago", "Tomás", "Vasco", "Vera",
}

var surnames = []string{
	"Almeida", "Alves", "Antunes", "Barbosa", "Batista", "Borges", "Cardoso", "Carvalho", "Castro", "Correia",
	"Costa", "Cruz", "Dias", "Domingues", "Esteves", "Faria", "Fernandes", "Ferreira", "Fonseca", "Freitas",
	"Gaspar", "Gomes", "Gonçalves", "Henriques", "Leite", "Lopes", "Macedo", "Machado", "Marques", "Martins",
	"Matos", "Medeiros", "Melo", "Mendes", "Monteiro", "Moreira", "Nogueira", "Nunes", "Oliveira", "Pereira",
	"Pinheiro", "Pinto", "Pires", "Ramos", "Reis", "Ribeiro", "Rocha", "Rodrigues", "Santos", "Silva",
	"Simões", "Soares", "Sousa", "Tavares", "Teixeira", "Vaz", "Vieira",
}

// Person returns a name, a +351 mobile number and, for about a third of
// the people, an e-mail address; line makes the address unique.
func Person(rng *rand.Rand, line int) (name, phone string, email *string) {
	first := firstNames[rng.IntN(len(firstNames))]
	s1 := surnames[rng.IntN(len(surnames))]
	s2 := surnames[rng.IntN(len(surnames))]
	name = first + " " + s1 + " " + s2
	prefixes := [...]string{"91", "92", "93", "96"}
	phone = fmt.Sprintf("+351 %s%d %03d %03d", prefixes[rng.IntN(len(prefixes))], rng.IntN(10), rng.IntN(1000), rng.IntN(1000))
	if rng.IntN(3) == 0 {
		e := fmt.Sprintf("%s.%s%d@example.pt", ascii(first), ascii(s2), line)
		email = &e
	}
	return name, phone, email
}

// ascii lower-cases a name and drops its accents for an e-mail address.
func ascii(s string) string {
	return strings.NewReplacer("á", "a", "à", "a", "ã", "a", "â", "a", "é", "e", "ê", "e", "í", "i",
		"ó", "o", "õ", "o", "ô", "o", "ú", "u", "ç", "c").Replace(strings.ToLower(s))
}
