package handlers

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/store"
)

func userOut(u db.User) api.User {
	return api.User{
		Id: u.ID, Name: u.Name, Email: u.Email, Role: api.Role(u.Role), Active: u.Active, Version: u.Version,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, LastLoginAt: u.LastLoginAt,
	}
}

type userKey struct {
	Name string    `json:"n"`
	ID   uuid.UUID `json:"i"`
}

// ListUsers lists users by name (admin).
func (h *Handlers) ListUsers(ctx context.Context, req api.ListUsersRequestObject) (api.ListUsersResponseObject, error) {
	if _, err := Admin(ctx); err != nil {
		return nil, err
	}
	p := req.Params
	var role *string
	if p.Role != nil {
		r := string(*p.Role)
		role = &r
	}
	rows, next, err := h.userPage(ctx, scope("users", role, p.Active, p.Q, nameOrder), p.Cursor, p.Limit,
		db.UserListParams{Role: role, Active: p.Active, Q: p.Q})
	if err != nil {
		return nil, err
	}
	out := api.UserList{Items: make([]api.User, 0, len(rows)), NextCursor: next}
	for _, u := range rows {
		out.Items = append(out.Items, userOut(u))
	}
	out.Total, err = total(p.Count, func() (int64, error) {
		return h.st.UserListCount(ctx, db.UserListCountParams{Role: role, Active: p.Active, Q: p.Q})
	})
	if err != nil {
		return nil, err
	}
	return api.ListUsers200JSONResponse(out), nil
}

// ListTeam lists every user's name, for any signed-in user: the names
// behind the ids in leads and contacts, without /users' e-mail addresses.
func (h *Handlers) ListTeam(ctx context.Context, req api.ListTeamRequestObject) (api.ListTeamResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	p := req.Params
	rows, next, err := h.userPage(ctx, scope("team", p.Active, nameOrder), p.Cursor, p.Limit, db.UserListParams{Active: p.Active})
	if err != nil {
		return nil, err
	}
	out := api.TeamList{Items: make([]api.TeamMember, 0, len(rows)), NextCursor: next}
	for _, u := range rows {
		out.Items = append(out.Items, api.TeamMember{Id: u.ID, Name: u.Name, Role: api.Role(u.Role), Active: u.Active})
	}
	out.Total, err = total(p.Count, func() (int64, error) {
		return h.st.UserListCount(ctx, db.UserListCountParams{Active: p.Active})
	})
	if err != nil {
		return nil, err
	}
	return api.ListTeam200JSONResponse(out), nil
}

// userPage reads a page of users by name after the cursor of scope sc, and
// the cursor of the page after it (nil on the last page).
func (h *Handlers) userPage(ctx context.Context, sc string, cur *api.Cursor, limit *api.Limit, params db.UserListParams) ([]db.User, *string, error) {
	return page(cur, limit, sc, func(after *userKey, lim int32) ([]db.User, error) {
		params.Lim = lim
		if after != nil {
			params.AfterName, params.AfterID = &after.Name, &after.ID
		}
		return h.st.UserList(ctx, params)
	}, func(u db.User) userKey { return userKey{u.Name, u.ID} })
}

// CreateUser creates a user with any role, sales unless given (admin).
func (h *Handlers) CreateUser(ctx context.Context, req api.CreateUserRequestObject) (api.CreateUserResponseObject, error) {
	id, err := Admin(ctx)
	if err != nil {
		return nil, err
	}
	hash, err := hashPassword(ctx, "password", req.Body.Password)
	if err != nil {
		return nil, err
	}
	role := auth.RoleSales // the least a user may need, as jmk users create does
	if req.Body.Role != nil {
		role = string(*req.Body.Role)
	}
	u, err := h.st.UserCreate(ctx, actor(id), store.NewUser{
		Name: strings.TrimSpace(req.Body.Name), Email: normEmail(string(req.Body.Email)), PasswordHash: hash, Role: role,
	})
	if err != nil {
		return nil, err
	}
	return api.CreateUser201JSONResponse{Body: userOut(u), Headers: api.CreateUser201ResponseHeaders{ETag: etag(u.Version),
		Location: location("users", u.ID)}}, nil
}

// GetUser returns one user (admin).
func (h *Handlers) GetUser(ctx context.Context, req api.GetUserRequestObject) (api.GetUserResponseObject, error) {
	if _, err := Admin(ctx); err != nil {
		return nil, err
	}
	u, err := h.st.UserGet(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetUser200JSONResponse{Body: userOut(u), Headers: api.GetUser200ResponseHeaders{ETag: etag(u.Version)}}, nil
}

// UpdateUser changes a user under If-Match (admin).
func (h *Handlers) UpdateUser(ctx context.Context, req api.UpdateUserRequestObject) (api.UpdateUserResponseObject, error) {
	id, err := Admin(ctx)
	if err != nil {
		return nil, err
	}
	cond, err := ifMatch(string(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	b := req.Body
	var c store.UserChange
	if b.Name != nil {
		n := strings.TrimSpace(*b.Name)
		c.Name = &n
	}
	if b.Email != nil {
		e := normEmail(string(*b.Email))
		c.Email = &e
	}
	if b.Role != nil {
		r := string(*b.Role)
		c.Role = &r
	}
	c.Active = b.Active
	if b.Password != nil {
		// One's own password only with the current one: a stolen token
		// must not be enough to take the account over.
		if req.Id == id.UserID {
			return nil, apperr.Forbidden("change your own password with POST /auth/password, which asks for the current one")
		}
		hash, err := hashPassword(ctx, "password", *b.Password)
		if err != nil {
			return nil, err
		}
		c.PasswordHash = &hash
	}
	u, err := h.st.UserUpdate(ctx, actor(id), req.Id, cond, c)
	if err != nil {
		return nil, err
	}
	return api.UpdateUser200JSONResponse{Body: userOut(u), Headers: api.UpdateUser200ResponseHeaders{ETag: etag(u.Version)}}, nil
}

// DeactivateUser deactivates a user (admin); their history stays.
func (h *Handlers) DeactivateUser(ctx context.Context, req api.DeactivateUserRequestObject) (api.DeactivateUserResponseObject, error) {
	id, err := Admin(ctx)
	if err != nil {
		return nil, err
	}
	cond, err := optionalIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	release := req.Params.ReleaseLeads != nil && *req.Params.ReleaseLeads
	if _, err := h.st.UserDeactivate(ctx, actor(id), req.Id, cond, release); err != nil {
		return nil, err
	}
	return api.DeactivateUser204Response{}, nil
}
